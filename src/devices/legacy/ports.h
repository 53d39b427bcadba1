/* Small legacy I/O ports of a PC chipset:
 *   - 0x92, system control port A: bit 1 fast A20 (remembered, A20 is always
 *     on in vmon), bit 0 written as 1 resets the machine;
 *   - 0xCF9, the reset control register of Intel chipsets: writing bit 2
 *     (RST_CPU, e.g. 0x06 or 0x0E as Linux's reboot=pci and ACPI reset
 *     registers do) resets the machine. 0xCF9 sits inside the PCI
 *     configuration ports 0xCF8-0xCFF, so the PCI host bridge forwards byte
 *     accesses at 0xCF9 to ports_rcr_ops (see pci_host_init); without a PCI
 *     host, register ports_rcr_ops at 0xCF9 with length 1;
 *   - ports_ignored[]: ports Linux or firmware touch that vmon does not
 *     emulate (POST code 0x80, the 8237 DMA controllers and page registers,
 *     the 0xED delay port). They read 0xff and drop writes; claiming them
 *     keeps unclaimed-port diagnostics quiet. The PIC, PIT, speaker port,
 *     ELCR, PCI and ACPI ports are deliberately not in the list.
 *
 * Locking: one mutex for 0x92/0xCF9 state; vmctl_request() is called after
 * releasing it. */
#ifndef VMON_DEVICES_LEGACY_PORTS_H
#define VMON_DEVICES_LEGACY_PORTS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/vmctl.h"

#define PORTS_PORT_A 0x92
#define PORTS_RCR 0xcf9

#define PORTS_A_RESET 0x01
#define PORTS_A_A20 0x02
#define PORTS_RCR_SYS_RST 0x02
#define PORTS_RCR_RST_CPU 0x04
#define PORTS_RCR_FULL_RST 0x08

struct ports_regs {
    uint8_t port_a; /* 0x92 */
    uint8_t rcr;    /* 0xCF9, bits 1 and 3 */
};

struct ports {
    pthread_mutex_t lock;
    struct ports_regs regs;
    const struct vm_control *ctl;
};

struct ports_range {
    uint16_t base, len;
    const char *name;
};

/* ctl may be NULL. Returns 0 or -errno. */
int ports_init(struct ports *p, const struct vm_control *ctl);
void ports_destroy(struct ports *p);

extern const struct bus_dev_ops ports_port_a_ops; /* 0x92, length 1, dev = struct ports */
extern const struct bus_dev_ops ports_rcr_ops;    /* 0xCF9, length 1, dev = struct ports */

/* Ranges to register with ports_ignore_ops (dev may be NULL). */
extern const struct ports_range ports_ignored[];
extern const size_t ports_ignored_count;
extern const struct bus_dev_ops ports_ignore_ops;

#endif
