/* The packed virtqueue (VIRTIO 1.2 section 2.8), device side. Called
 * through virtq.h on an active packed queue; see there for the checks. */
#ifndef VMON_DEVICES_VIRTIO_VIRTQ_PACKED_H
#define VMON_DEVICES_VIRTIO_VIRTQ_PACKED_H

#include "devices/virtio/virtq.h"

/* Called by virtq_activate: asks the driver for every notification. */
void virtq_packed_start(struct virtq *q);
int virtq_packed_pop(struct virtq *q, struct virtq_chain *c);
void virtq_packed_push(struct virtq *q, const struct virtq_chain *c, uint32_t written);
bool virtq_packed_should_notify(struct virtq *q);
bool virtq_packed_has_avail(struct virtq *q);

#endif
