/* The split virtqueue (VIRTIO 1.2 section 2.7), device side. Called through
 * virtq.h on an active split queue; see there for the checks. */
#ifndef VMON_DEVICES_VIRTIO_VIRTQ_SPLIT_H
#define VMON_DEVICES_VIRTIO_VIRTQ_SPLIT_H

#include "devices/virtio/virtq.h"

int virtq_split_pop(struct virtq *q, struct virtq_chain *c);
void virtq_split_push(struct virtq *q, const struct virtq_chain *c, uint32_t written);
void virtq_split_publish(struct virtq *q);
bool virtq_split_should_notify(struct virtq *q);
bool virtq_split_enable_kick(struct virtq *q);
bool virtq_split_has_avail(struct virtq *q);

#endif
