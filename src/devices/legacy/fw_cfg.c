/* QEMU's firmware configuration interface (fw_cfg); see fw_cfg.h. */
#include "devices/legacy/fw_cfg.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

#define FW_CFG_KEY_WRITE_CHANNEL 0x4000 /* ignored: writes go through DMA only */
#define FW_CFG_KEY_INDEX_MASK 0x3fff

static const char fw_cfg_signature[4] = { 'Q', 'E', 'M', 'U' };

/* The item a (masked) key selects; NULL when nothing is there. */
static struct fw_cfg_item *fw_cfg_lookup(struct fw_cfg *f, uint16_t key)
{
    unsigned index = key & FW_CFG_KEY_INDEX_MASK;
    struct fw_cfg_item *it = NULL;
    if (key & FW_CFG_ARCH_LOCAL) {
        if (index < FW_CFG_ARCH_ITEMS)
            it = &f->arch[index];
    } else if (index < FW_CFG_FILE_FIRST) {
        it = &f->fixed[index];
    } else if (index - FW_CFG_FILE_FIRST < f->nfiles) {
        it = &f->files[index - FW_CFG_FILE_FIRST].item;
    }
    return it && it->data ? it : NULL;
}

const struct fw_cfg_item *fw_cfg_find(const struct fw_cfg *f, uint16_t key)
{
    return fw_cfg_lookup((struct fw_cfg *)f, key);
}

static int fw_cfg_item_set(struct fw_cfg_item *it, const void *data, size_t len)
{
    if (len > FW_CFG_ITEM_MAX)
        return -EFBIG;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -ENOMEM;
    if (len)
        memcpy(copy, data, len);
    free(it->data);
    it->data = copy;
    it->len = (uint32_t)len;
    return 0;
}

/* FW_CFG_FILE_DIR: a big-endian count, then one entry per file. */
static int fw_cfg_rebuild_dir(struct fw_cfg *f)
{
    size_t len = sizeof(uint32_t) + f->nfiles * sizeof(struct fw_cfg_dir_entry);
    uint8_t *dir = calloc(1, len);
    if (!dir)
        return -ENOMEM;
    uint32_t count = htobe32(f->nfiles);
    memcpy(dir, &count, sizeof(count));
    for (unsigned i = 0; i < f->nfiles; i++) {
        struct fw_cfg_dir_entry e = {
            .size = htobe32(f->files[i].item.len),
            .select = htobe16((uint16_t)(FW_CFG_FILE_FIRST + i)),
        };
        memcpy(e.name, f->files[i].name, sizeof(e.name));
        memcpy(dir + sizeof(count) + i * sizeof(e), &e, sizeof(e));
    }
    int r = fw_cfg_item_set(&f->fixed[FW_CFG_FILE_DIR], dir, len);
    free(dir);
    return r;
}

int fw_cfg_init(struct fw_cfg *f, const struct guest_mem *mem)
{
    memset(f, 0, sizeof(*f));
    f->mem = mem;
    uint8_t id[4];
    put_le32(id, FW_CFG_VERSION_TRADITIONAL | FW_CFG_VERSION_DMA);
    int r = fw_cfg_item_set(&f->fixed[FW_CFG_SIGNATURE], fw_cfg_signature,
                            sizeof(fw_cfg_signature));
    if (!r)
        r = fw_cfg_item_set(&f->fixed[FW_CFG_ID], id, sizeof(id));
    if (!r)
        r = fw_cfg_rebuild_dir(f);
    if (!r && pthread_mutex_init(&f->lock, NULL))
        r = -ENOMEM;
    if (r) {
        for (unsigned i = 0; i < FW_CFG_FIXED_ITEMS; i++)
            free(f->fixed[i].data);
        memset(f, 0, sizeof(*f));
    }
    return r;
}

void fw_cfg_destroy(struct fw_cfg *f)
{
    for (unsigned i = 0; i < FW_CFG_FIXED_ITEMS; i++)
        free(f->fixed[i].data);
    for (unsigned i = 0; i < FW_CFG_ARCH_ITEMS; i++)
        free(f->arch[i].data);
    for (unsigned i = 0; i < f->nfiles; i++)
        free(f->files[i].item.data);
    pthread_mutex_destroy(&f->lock);
    memset(f, 0, sizeof(*f));
}

int fw_cfg_add_item(struct fw_cfg *f, uint16_t key, const void *data, size_t len)
{
    if (key == FW_CFG_SIGNATURE || key == FW_CFG_ID || key == FW_CFG_FILE_DIR)
        return -EINVAL;
    if (key & FW_CFG_ARCH_LOCAL) {
        unsigned index = key - FW_CFG_ARCH_LOCAL;
        if (index >= FW_CFG_ARCH_ITEMS)
            return -EINVAL;
        return fw_cfg_item_set(&f->arch[index], data, len);
    }
    if (key >= FW_CFG_FILE_FIRST)
        return -EINVAL;
    return fw_cfg_item_set(&f->fixed[key], data, len);
}

int fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v)
{
    uint8_t b[2];
    put_le16(b, v);
    return fw_cfg_add_item(f, key, b, sizeof(b));
}

int fw_cfg_add_u32(struct fw_cfg *f, uint16_t key, uint32_t v)
{
    uint8_t b[4];
    put_le32(b, v);
    return fw_cfg_add_item(f, key, b, sizeof(b));
}

int fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v)
{
    uint8_t b[8];
    put_le64(b, v);
    return fw_cfg_add_item(f, key, b, sizeof(b));
}

int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len,
                    uint16_t *key)
{
    size_t n = strnlen(name, FW_CFG_NAME_LEN);
    if (n == 0 || n == FW_CFG_NAME_LEN)
        return -EINVAL;
    for (unsigned i = 0; i < f->nfiles; i++)
        if (!strcmp(f->files[i].name, name))
            return -EEXIST;
    if (f->nfiles == FW_CFG_MAX_FILES)
        return -ENOSPC;
    struct fw_cfg_file *file = &f->files[f->nfiles];
    memset(file, 0, sizeof(*file));
    int r = fw_cfg_item_set(&file->item, data, len);
    if (r)
        return r;
    memcpy(file->name, name, n);
    f->nfiles++;
    r = fw_cfg_rebuild_dir(f);
    if (r) {
        f->nfiles--;
        free(file->item.data);
        memset(file, 0, sizeof(*file));
        return r;
    }
    if (key)
        *key = (uint16_t)(FW_CFG_FILE_FIRST + f->nfiles - 1);
    return 0;
}

/* ---- guest side; every function below runs with f->lock held ---- */

static void fw_cfg_select(struct fw_cfg *f, uint16_t key)
{
    f->regs.selector = key & (uint16_t)~FW_CFG_KEY_WRITE_CHANNEL;
    f->regs.offset = 0;
}

static uint8_t fw_cfg_data_byte(struct fw_cfg *f)
{
    const struct fw_cfg_item *it = fw_cfg_lookup(f, f->regs.selector);
    if (!it || f->regs.offset >= it->len)
        return 0;
    return it->data[f->regs.offset++];
}

/* A DMA read of length bytes of the selected item to guest address gpa:
 * the bytes past the item's end read as zeros, as from the data port. */
static uint32_t fw_cfg_dma_read(struct fw_cfg *f, uint64_t gpa, uint32_t length)
{
    if (length == 0)
        return 0;
    /* GUEST: gmem_ptr checks that all of [gpa, gpa + length) is RAM. */
    uint8_t *dst = gmem_ptr(f->mem, gpa, length);
    if (!dst) {
        log_once(LOG_WARN, "fw_cfg: DMA read to %#llx+%u is outside guest RAM; refused",
                 (unsigned long long)gpa, length);
        return FW_CFG_DMA_CTL_ERROR;
    }
    const struct fw_cfg_item *it = fw_cfg_lookup(f, f->regs.selector);
    uint32_t avail = it && f->regs.offset < it->len ? it->len - f->regs.offset : 0;
    uint32_t n = MIN(avail, length);
    if (n)
        memcpy(dst, it->data + f->regs.offset, n);
    memset(dst + n, 0, length - n);
    f->regs.offset += n;
    return 0;
}

static void fw_cfg_dma_skip(struct fw_cfg *f, uint32_t length)
{
    const struct fw_cfg_item *it = fw_cfg_lookup(f, f->regs.selector);
    uint32_t avail = it && f->regs.offset < it->len ? it->len - f->regs.offset : 0;
    f->regs.offset += MIN(avail, length);
}

/* Runs one FWCfgDmaAccess request; returns the new control value. */
static uint32_t fw_cfg_dma_run(struct fw_cfg *f, uint32_t control, uint32_t length,
                               uint64_t address)
{
    if (control & FW_CFG_DMA_CTL_SELECT)
        fw_cfg_select(f, (uint16_t)(control >> 16));
    if (control & FW_CFG_DMA_CTL_READ)
        return fw_cfg_dma_read(f, address, length);
    if (control & FW_CFG_DMA_CTL_WRITE)
        return FW_CFG_DMA_CTL_ERROR; /* every vmon item is read-only */
    if (control & FW_CFG_DMA_CTL_SKIP)
        fw_cfg_dma_skip(f, length);
    return 0;
}

static void fw_cfg_dma(struct fw_cfg *f, uint64_t gpa)
{
    struct fw_cfg_dma_access a;
    /* GUEST: gmem_read copies the request only when it lies wholly in RAM. */
    if (gmem_read(f->mem, gpa, &a, sizeof(a))) {
        log_once(LOG_WARN, "fw_cfg: DMA request at %#llx is outside guest RAM; dropped",
                 (unsigned long long)gpa);
        return;
    }
    uint32_t status = fw_cfg_dma_run(f, be32toh(a.control), be32toh(a.length),
                                     be64toh(a.address));
    uint32_t control = htobe32(status);
    gmem_write(f->mem, gpa + offsetof(struct fw_cfg_dma_access, control), &control,
               sizeof(control));
}

/* Reads of the DMA address register return the signature's bytes. */
static uint64_t fw_cfg_dma_sig_read(uint64_t offset, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned byte = (unsigned)(offset - FW_CFG_DMA_OFF) + i;
        if (byte < 8)
            v |= ((FW_CFG_DMA_SIGNATURE >> (56 - 8 * byte)) & 0xff) << (8 * i);
    }
    return v;
}

static uint64_t fw_cfg_read(void *dev, uint64_t offset, unsigned size)
{
    struct fw_cfg *f = dev;
    if (offset >= FW_CFG_DMA_OFF)
        return fw_cfg_dma_sig_read(offset, size);
    if (offset != FW_CFG_DATA_OFF || size != 1)
        return 0;
    pthread_mutex_lock(&f->lock);
    uint8_t b = fw_cfg_data_byte(f);
    pthread_mutex_unlock(&f->lock);
    return b;
}

static void fw_cfg_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    struct fw_cfg *f = dev;
    pthread_mutex_lock(&f->lock);
    if (offset == FW_CFG_SEL_OFF && size == 2) {
        fw_cfg_select(f, (uint16_t)value);
    } else if (offset == FW_CFG_DMA_OFF && size == 4) {
        /* The register is big-endian: the guest's bytes in port order. */
        f->regs.dma_high = be32toh((uint32_t)value);
    } else if (offset == FW_CFG_DMA_OFF + 4 && size == 4) {
        uint64_t gpa = (uint64_t)f->regs.dma_high << 32 | be32toh((uint32_t)value);
        f->regs.dma_high = 0;
        fw_cfg_dma(f, gpa);
    } else if (offset == FW_CFG_DMA_OFF && size == 8) {
        f->regs.dma_high = 0;
        fw_cfg_dma(f, be64toh(value));
    }
    /* Anything else (data port writes, odd sizes) is ignored. */
    pthread_mutex_unlock(&f->lock);
}

const struct bus_dev_ops fw_cfg_ops = { fw_cfg_read, fw_cfg_write };
