/* The virtio-pci transport, modern interface only (VIRTIO 1.2 section 4.1).
 *
 * Identity: vendor 0x1af4, device 0x1040 + virtio device ID, revision 1
 * (non-transitional, section 4.1.2.1), INTA#.
 *
 * Everything lives in BAR 0, a 32 KiB 32-bit memory BAR:
 *   0x0000  common configuration (struct virtio_pci_common_cfg, 4.1.4.3)
 *   0x1000  ISR status (4.1.4.5): one byte, read-to-clear
 *   0x2000  device-specific configuration (4.1.4.6), if the device has one
 *   0x3000  notifications (4.1.4.4): queue q at 0x3000 + 4*q
 *   0x4000  MSI-X table, 0x5000 MSI-X PBA (served by devices/pci/pci_msix)
 * and one vendor-specific capability describes each region, plus the
 * VIRTIO_PCI_CAP_PCI_CFG window into the BAR (4.1.4.9).
 *
 * Interrupts: with MSI-X enabled, queue q signals the vector the driver
 * chose for it (config changes the config vector; VIRTIO_MSI_NO_VECTOR
 * means none). With MSI-X disabled the ISR bits are set and INTx stays
 * asserted until the driver reads the ISR.
 *
 * Locking: the transport's mutex serialises register accesses; it is taken
 * inside the PCI bus's config and BAR-dispatch locks, and only the MSI-X
 * and INTx leaf locks are taken under it. */
#ifndef VMON_DEVICES_VIRTIO_VIRTIO_PCI_H
#define VMON_DEVICES_VIRTIO_VIRTIO_PCI_H

#include <pthread.h>
#include <stdint.h>

#include "devices/pci/pci_dev.h"
#include "devices/virtio/virtio_dev.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define VIRTIO_PCI_SUBSYS 0x1100
#define VIRTIO_PCI_REVISION 1
#define VIRTIO_PCI_MAX_QUEUES (PCI_MSIX_MAX_VECTORS - 1)
#define VIRTIO_MSI_NO_VECTOR 0xffff

/* BAR 0 layout. */
#define VIRTIO_PCI_BAR 0
#define VIRTIO_PCI_BAR_SIZE 0x8000
#define VIRTIO_PCI_COMMON_OFF 0x0000
#define VIRTIO_PCI_COMMON_LEN 0x40
#define VIRTIO_PCI_ISR_OFF 0x1000
#define VIRTIO_PCI_ISR_LEN 4
#define VIRTIO_PCI_DEVICE_OFF 0x2000
#define VIRTIO_PCI_DEVICE_LEN 0x1000
#define VIRTIO_PCI_NOTIFY_OFF 0x3000
#define VIRTIO_PCI_NOTIFY_MULT 4
#define VIRTIO_PCI_MSIX_TABLE_OFF 0x4000
#define VIRTIO_PCI_MSIX_PBA_OFF 0x5000

/* struct virtio_pci_cap (section 4.1.4): offsets inside the capability. */
#define VIRTIO_PCI_CAP_LEN_OFF 2
#define VIRTIO_PCI_CAP_CFG_TYPE 3
#define VIRTIO_PCI_CAP_BAR 4
#define VIRTIO_PCI_CAP_ID 5
#define VIRTIO_PCI_CAP_OFFSET 8
#define VIRTIO_PCI_CAP_LENGTH 12
#define VIRTIO_PCI_CAP_SIZE 16
#define VIRTIO_PCI_NOTIFY_CAP_MULT 16 /* struct virtio_pci_notify_cap */
#define VIRTIO_PCI_NOTIFY_CAP_SIZE 20
#define VIRTIO_PCI_CFG_CAP_DATA 16    /* struct virtio_pci_cfg_cap */
#define VIRTIO_PCI_CFG_CAP_SIZE 20

/* cfg_type values. */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/* struct virtio_pci_common_cfg field offsets (section 4.1.4.3). */
#define VIRTIO_PCI_COMMON_DFSELECT 0x00
#define VIRTIO_PCI_COMMON_DF 0x04
#define VIRTIO_PCI_COMMON_GFSELECT 0x08
#define VIRTIO_PCI_COMMON_GF 0x0c
#define VIRTIO_PCI_COMMON_MSIX 0x10
#define VIRTIO_PCI_COMMON_NUMQ 0x12
#define VIRTIO_PCI_COMMON_STATUS 0x14
#define VIRTIO_PCI_COMMON_CFGGENERATION 0x15
#define VIRTIO_PCI_COMMON_Q_SELECT 0x16
#define VIRTIO_PCI_COMMON_Q_SIZE 0x18
#define VIRTIO_PCI_COMMON_Q_MSIX 0x1a
#define VIRTIO_PCI_COMMON_Q_ENABLE 0x1c
#define VIRTIO_PCI_COMMON_Q_NOFF 0x1e
#define VIRTIO_PCI_COMMON_Q_DESCLO 0x20
#define VIRTIO_PCI_COMMON_Q_DESCHI 0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO 0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI 0x2c
#define VIRTIO_PCI_COMMON_Q_USEDLO 0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI 0x34
#define VIRTIO_PCI_COMMON_Q_NDATA 0x38
#define VIRTIO_PCI_COMMON_Q_RESET 0x3a

/* Guest-visible transport registers, plain data. */
struct virtio_pci_regs {
    uint32_t device_feature_select;
    uint32_t driver_feature_select;
    uint16_t config_msix_vector;
    uint16_t queue_select;
    uint16_t queue_msix_vector[VIRTIO_PCI_MAX_QUEUES]; /* atomic: read by device threads */
    uint8_t isr;                                        /* under irq_lock */
};

struct virtio_pci {
    struct pci_dev pci;
    pthread_mutex_t lock;     /* register accesses */
    pthread_mutex_t irq_lock; /* isr and the INTx level */
    struct virtio_pci_regs regs;
    struct virtio_dev *dev;
    unsigned cfg_cap;         /* config offset of the PCI_CFG capability */
};

/* Builds the PCI function for dev (class: PCI class code) with MSI-X
 * vectors for the config and each queue. Add p->pci to the bus afterwards.
 * Returns 0 or -errno (-EINVAL for more than VIRTIO_PCI_MAX_QUEUES). */
int virtio_pci_init(struct virtio_pci *p, struct virtio_dev *dev, uint32_t class_code);
void virtio_pci_destroy(struct virtio_pci *p);

#endif
