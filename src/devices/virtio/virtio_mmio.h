/* The virtio-mmio transport, version 2 (VIRTIO 1.2 section 4.2): one 4 KiB
 * register window per device and one interrupt line.
 *
 * The machine registers virtio_mmio_ops over the window (LAYOUT_VIRTIO_MMIO
 * + i * VIRTIO_MMIO_SIZE) with dev = the struct virtio_mmio, and tells the
 * guest where it is (ACPI LNRO0005 device, or a virtio_mmio.device= kernel
 * argument, see virtio_mmio_cmdline()).
 *
 * Registers are 32 bits wide and accessed as such (section 4.2.2.2); other
 * sizes read 0 and are dropped, except in the configuration space at 0x100,
 * which takes 1-, 2-, 4- and 8-byte accesses. The interrupt line is held
 * high while InterruptStatus is non-zero (the driver clears it through
 * InterruptACK), so each new cause after an acknowledgement is a rising
 * edge: this works with the edge-triggered, active-high GSI that the ACPI
 * description declares. */
#ifndef VMON_DEVICES_VIRTIO_VIRTIO_MMIO_H
#define VMON_DEVICES_VIRTIO_VIRTIO_MMIO_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/irq.h"
#include "devices/virtio/virtio_dev.h"

#define VIRTIO_MMIO_SIZE 0x1000
#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */
#define VIRTIO_MMIO_VERSION 2
#define VIRTIO_MMIO_VENDOR 0x4e4f4d56u /* "VMON" */

/* Register offsets (section 4.2.2). */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION_REG 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_QUEUE_RESET 0x0c0
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

/* Guest-visible transport registers, plain data. */
struct virtio_mmio_regs {
    uint32_t device_features_sel;
    uint32_t driver_features_sel;
    uint32_t queue_sel;
    uint32_t interrupt_status; /* under irq_lock */
};

struct virtio_mmio {
    pthread_mutex_t lock;     /* register accesses */
    pthread_mutex_t irq_lock; /* interrupt_status and the line's level */
    struct virtio_mmio_regs regs;
    struct virtio_dev *dev;
    struct irq_line irq;
};

/* Connects dev to a new transport raising irq. Returns 0 or -errno. */
int virtio_mmio_init(struct virtio_mmio *m, struct virtio_dev *dev, const struct irq_line *irq);
void virtio_mmio_destroy(struct virtio_mmio *m);

/* Formats the kernel argument announcing a window ("virtio_mmio.device=
 * 4K@0xd0000000:5", Linux's Documentation/admin-guide/kernel-parameters.txt)
 * into buf. Returns the length, or -ENOSPC when buf is too small. */
int virtio_mmio_cmdline(char *buf, size_t len, uint64_t base, unsigned gsi);

extern const struct bus_dev_ops virtio_mmio_ops;

#endif
