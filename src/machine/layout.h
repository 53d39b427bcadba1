/* The guest physical address map of a vmon PC. Everything that places
 * something in guest memory or on the buses takes its address from here. */
#ifndef VMON_MACHINE_LAYOUT_H
#define VMON_MACHINE_LAYOUT_H

#include "common/util.h"

/* Low memory */
#define LAYOUT_ZERO_PAGE        0x7000ull   /* Linux boot_params ("zero page") */
#define LAYOUT_BOOT_STACK       0x8ff0ull   /* initial rsp for the 64-bit entry */
#define LAYOUT_PML4             0x9000ull   /* identity page tables: PML4, PDPT, 4 PDs */
#define LAYOUT_PDPT             0xa000ull
#define LAYOUT_PD               0xb000ull   /* 4 pages: 0xb000-0xefff, maps 4 GiB */
#define LAYOUT_GDT              0x500ull
#define LAYOUT_SETUP_DATA       0x1000ull   /* setup_data chain (RNG seed, ...) */
#define LAYOUT_CMDLINE          0x20000ull
#define LAYOUT_CMDLINE_MAX      0x10000ull  /* 64 KiB of command line at most */
#define LAYOUT_PVH_START_INFO   0x6000ull
#define LAYOUT_EBDA             0x9fc00ull  /* end of usable low RAM */
#define LAYOUT_ACPI             0xe0000ull  /* RSDP lives in the BIOS area */
#define LAYOUT_ACPI_SIZE        0x20000ull
#define LAYOUT_HIMEM            0x100000ull /* 1 MiB: kernels load here or above */

/* The 32-bit hole: 3 GiB - 4 GiB holds no RAM. */
#define LAYOUT_MMIO_HOLE_START  0xc0000000ull
#define LAYOUT_MMIO_HOLE_END    0x100000000ull
#define LAYOUT_PCI_MMIO_START   0xc0000000ull /* 32-bit PCI BARs */
#define LAYOUT_PCI_MMIO_SIZE    0x10000000ull
#define LAYOUT_VIRTIO_MMIO      0xd0000000ull /* virtio-mmio devices, 4 KiB each */
#define LAYOUT_VIRTIO_MMIO_SIZE 0x1000ull
#define LAYOUT_PCI_ECAM         0xe0000000ull /* PCIe ECAM, 256 buses */
#define LAYOUT_PCI_ECAM_SIZE    0x10000000ull
#define LAYOUT_IOAPIC           0xfec00000ull
#define LAYOUT_LAPIC            0xfee00000ull
#define LAYOUT_BIOS_END         0x100000000ull

/* Legacy I/O ports and GSIs */
#define PORT_COM1               0x3f8
#define GSI_COM1                4
#define PORT_I8042              0x60
#define GSI_I8042_KBD           1
#define PORT_RTC                0x70
#define GSI_RTC                 8
#define PORT_PCI_CONFIG         0xcf8
#define PORT_ACPI_PM            0x600       /* PM1a event (4) + control (2) blocks */
#define GSI_ACPI_SCI            9
#define PORT_ACPI_PM_SIZE       0x10

#endif
