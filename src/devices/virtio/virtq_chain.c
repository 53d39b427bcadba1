/* Descriptor chains: checked guest buffers as host iovecs; see virtq_chain.h. */
#include "devices/virtio/virtq_chain.h"

#include <string.h>

#include "common/util.h"

void virtq_chain_clear(struct virtq_chain *c)
{
    c->id = 0;
    c->slots = 0;
    c->nout = c->nin = 0;
    c->out_len = c->in_len = 0;
}

int virtq_chain_add(struct virtq_chain *c, const struct guest_mem *mem, uint64_t addr,
                    uint32_t len, bool writable)
{
    if (len == 0)
        return 0;
    if (!writable && c->nin)
        return -VIRTQ_E_ORDER;
    uint32_t *total = writable ? &c->in_len : &c->out_len;
    if (len > UINT32_MAX - *total)
        return -VIRTQ_E_LEN;
    if (c->nout + c->nin >= c->max_iov)
        return -VIRTQ_E_TOO_MANY;
    /* GUEST: addr and len come from a guest descriptor; gmem_ptr checks the
     * whole [addr, addr+len) against one RAM region (NULL otherwise). */
    void *p = gmem_ptr(mem, addr, len);
    if (!p)
        return -VIRTQ_E_ADDR;
    c->iov[c->nout + c->nin] = (struct iovec){ p, len };
    if (writable)
        c->nin++;
    else
        c->nout++;
    *total += len;
    return 0;
}

/* Copies between buf and the iovecs [first, first+n) starting at byte off. */
static uint32_t chain_copy(const struct iovec *iov, unsigned n, uint32_t off, void *buf,
                           uint32_t len, bool to_iov)
{
    uint32_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (off >= iov[i].iov_len) {
            off -= (uint32_t)iov[i].iov_len;
            continue;
        }
        uint32_t chunk = (uint32_t)MIN(iov[i].iov_len - off, (size_t)(len - done));
        uint8_t *p = (uint8_t *)iov[i].iov_base + off;
        if (to_iov)
            memcpy(p, (const uint8_t *)buf + done, chunk);
        else
            memcpy((uint8_t *)buf + done, p, chunk);
        done += chunk;
        off = 0;
    }
    return done;
}

uint32_t virtq_chain_read(const struct virtq_chain *c, uint32_t off, void *buf, uint32_t len)
{
    return chain_copy(c->iov, c->nout, off, buf, len, false);
}

uint32_t virtq_chain_write(const struct virtq_chain *c, uint32_t off, const void *buf,
                           uint32_t len)
{
    return chain_copy(c->iov + c->nout, c->nin, off, (void *)buf, len, true);
}

const char *virtq_strerror(int err)
{
    switch (err < 0 ? -err : err) {
    case VIRTQ_E_RING: return "ring size or address invalid";
    case VIRTQ_E_AVAIL_IDX: return "available index ran more than the queue size ahead";
    case VIRTQ_E_HEAD: return "chain head out of range";
    case VIRTQ_E_NEXT: return "next descriptor index out of range";
    case VIRTQ_E_LOOP: return "descriptor chain longer than the queue (loop)";
    case VIRTQ_E_ADDR: return "buffer outside guest RAM";
    case VIRTQ_E_LEN: return "chain length overflows 32 bits";
    case VIRTQ_E_INDIRECT: return "invalid indirect descriptor table";
    case VIRTQ_E_ORDER: return "device-readable buffer after a device-writable one";
    case VIRTQ_E_TOO_MANY: return "chain has more segments than the device accepts";
    default: return "unknown ring error";
    }
}
