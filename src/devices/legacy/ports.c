/* Port 0x92, the 0xCF9 reset control register and ignored legacy ports; see
 * ports.h. */
#include "devices/legacy/ports.h"

#include <string.h>

#include "common/util.h"

const struct ports_range ports_ignored[] = {
    { 0x00, 0x20, "dma1" },          /* 8237 #1 and its mirror */
    { 0x80, 0x10, "post+dma-page" }, /* 0x80 POST code, 0x81-0x8f page registers */
    { 0xc0, 0x20, "dma2" },          /* 8237 #2 */
    { 0xed, 0x01, "io-delay" },      /* Linux io_delay=0xed */
};
const size_t ports_ignored_count = ARRAY_SIZE(ports_ignored);

static uint64_t ports_ignore_read(void *dev, uint64_t offset, unsigned size)
{
    (void)dev;
    (void)offset;
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static void ports_ignore_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    (void)dev;
    (void)offset;
    (void)value;
    (void)size;
}

const struct bus_dev_ops ports_ignore_ops = { ports_ignore_read, ports_ignore_write };

/* Both registers are one byte wide; wider accesses see only the low byte. */
static uint64_t ports_port_a_read(void *dev, uint64_t offset, unsigned size)
{
    struct ports *p = dev;
    (void)size;
    if (offset != 0)
        return 0xff;
    pthread_mutex_lock(&p->lock);
    uint8_t v = p->regs.port_a;
    pthread_mutex_unlock(&p->lock);
    return v;
}

static void ports_port_a_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    struct ports *p = dev;
    (void)size;
    if (offset != 0)
        return;
    pthread_mutex_lock(&p->lock);
    p->regs.port_a = (uint8_t)(value & PORTS_A_A20); /* the reset bit reads 0 again */
    pthread_mutex_unlock(&p->lock);
    if (value & PORTS_A_RESET)
        vmctl_request(p->ctl, VM_EVENT_RESET, 0);
}

static uint64_t ports_rcr_read(void *dev, uint64_t offset, unsigned size)
{
    struct ports *p = dev;
    (void)size;
    if (offset != 0)
        return 0xff;
    pthread_mutex_lock(&p->lock);
    uint8_t v = p->regs.rcr;
    pthread_mutex_unlock(&p->lock);
    return v;
}

static void ports_rcr_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    struct ports *p = dev;
    (void)size;
    if (offset != 0)
        return;
    pthread_mutex_lock(&p->lock);
    /* RST_CPU is self-clearing; SYS_RST and FULL_RST only pick the kind
     * of reset, which is the same thing for a virtual machine. */
    p->regs.rcr = (uint8_t)(value & (PORTS_RCR_SYS_RST | PORTS_RCR_FULL_RST));
    pthread_mutex_unlock(&p->lock);
    if (value & PORTS_RCR_RST_CPU)
        vmctl_request(p->ctl, VM_EVENT_RESET, 0);
}

const struct bus_dev_ops ports_port_a_ops = { ports_port_a_read, ports_port_a_write };
const struct bus_dev_ops ports_rcr_ops = { ports_rcr_read, ports_rcr_write };

int ports_init(struct ports *p, const struct vm_control *ctl)
{
    memset(p, 0, sizeof(*p));
    p->ctl = ctl;
    int e = pthread_mutex_init(&p->lock, NULL);
    if (e)
        return -e;
    p->regs.port_a = PORTS_A_A20;
    return 0;
}

void ports_destroy(struct ports *p)
{
    pthread_mutex_destroy(&p->lock);
}
