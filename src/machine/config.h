/* What the user asked for: the machine's whole configuration, filled in by
 * the CLI (and later by the REST API / config file). Plain data. */
#ifndef VMON_MACHINE_CONFIG_H
#define VMON_MACHINE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "net/net_opts.h"

enum vm_accel { VM_ACCEL_AUTO, VM_ACCEL_KVM, VM_ACCEL_EMU };
enum vm_on_reboot { VM_REBOOT_EXIT, VM_REBOOT_RESTART };

/* A Multiboot module (--module PATH[,ARGS]; --initrd is module 0). */
struct vm_module {
    const char *path;
    const char *args; /* NULL: none */
};

/* --device debug-exit[,iobase=N][,iosize=N] */
struct vm_debug_exit_config {
    bool enabled;
    uint16_t iobase;
    unsigned iosize;  /* 1, 2 or 4 */
};

#define VM_MAX_MODULES 16

/* --disk PATH[,ro=on][,serial=ID][,cache=writeback|none] (virtio-blk). The
 * option parser opens and locks the image (devices/virtio/blk_image.h), so
 * a bad disk is reported before anything else happens; the descriptor
 * lives as long as the process. */
enum vm_disk_cache { VM_DISK_CACHE_WRITEBACK, VM_DISK_CACHE_NONE };
struct vm_disk {
    const char *path;
    const char *serial;       /* NULL: none; at most 20 bytes */
    bool readonly;
    enum vm_disk_cache cache;
    int fd;                   /* the open, locked image */
    uint64_t size;            /* bytes, a multiple of 512 */
    bool direct;              /* fd has O_DIRECT (cache=none on a file system that takes it) */
};

/* --virtio-transport: how every virtio device of the VM is attached. */
enum vm_virtio_transport { VM_VIRTIO_PCI, VM_VIRTIO_MMIO };

#define VM_MAX_DISKS 8

/* --net user[,hostfwd=...][,mac=...] | tap,ifname=NAME[,mac=...]
 * (virtio-net, docs/NET.md). The parser checks the forwards' host ports and
 * opens the TAP, so bad input is reported before the VM starts; tap_fd
 * lives as long as the process. */
enum vm_net_type { VM_NET_USER, VM_NET_TAP };
#define VM_MAX_NICS 4
#define VM_MAX_HOSTFWD 16
struct vm_net {
    enum vm_net_type type;
    uint8_t mac[6];
    const char *ifname;       /* tap */
    int tap_fd;               /* tap: open and configured (net/net_tap.h) */
    struct net_hostfwd hostfwd[VM_MAX_HOSTFWD]; /* user */
    unsigned nhostfwd;
};

/* --console: the device stdin/stdout are connected to (docs/VIRTIO.md). */
enum vm_console { VM_CONSOLE_SERIAL, VM_CONSOLE_VIRTIO };

/* --vsock cid=N,uds=PATH (virtio-vsock, Firecracker's host model: host
 * programs reach the guest through the Unix socket PATH, the guest reaches
 * host port P at PATH_P). */
struct vm_vsock {
    bool enabled;
    uint64_t cid;      /* the guest's CID, >= 3 */
    const char *uds;
};

struct vm_config {
    const char *kernel;
    const char *initrd;
    const char *cmdline;
    bool decompress_in_guest;   /* --decompress guest: the guest unpacks its kernel and initrd */
    uint64_t mem_size;
    unsigned ncpus;
    enum vm_accel accel;
    enum vm_on_reboot on_reboot;
    bool stats;
    /* Firmware boot (docs/FIRMWARE.md): with --firmware, or without
     * --kernel, the BSP starts at the reset vector of a BIOS image. */
    const char *firmware;       /* NULL: VM_DEFAULT_FIRMWARE when there is no --kernel */
    unsigned boot_timeout;      /* seconds the firmware waits after finding nothing to boot */
    struct vm_module modules[VM_MAX_MODULES];
    unsigned nmodules;
    struct vm_debug_exit_config debug_exit;
    /* virtio devices */
    struct vm_disk disks[VM_MAX_DISKS]; /* vda, vdb, ... in order */
    unsigned ndisks;
    enum vm_virtio_transport virtio_transport;
    bool no_rng;                        /* --rng off (virtio-rng is on by default) */
    enum vm_console console;            /* --console serial|virtio */
    struct vm_vsock vsock;              /* --vsock */
    struct vm_net nets[VM_MAX_NICS];    /* --net: eth0, eth1, ... in order */
    unsigned nnets;
};

#define VM_DEFAULT_MEM (256ull << 20)
#define VM_DEFAULT_CMDLINE "console=ttyS0"
#define VM_DEFAULT_CMDLINE_VIRTIO_CONSOLE "console=hvc0" /* with --console virtio */
#define VM_MAX_CPUS 64
#define VM_DEFAULT_FIRMWARE "/usr/share/seabios/bios-microvm.bin"
#define VM_DEFAULT_BOOT_TIMEOUT 5

/* True when the machine boots through firmware (--firmware, or no --kernel). */
static inline bool vm_config_boots_firmware(const struct vm_config *c)
{
    return c->firmware || !c->kernel;
}

/* Exit statuses of `vmon run` (documented in --help and docs/USAGE.md). */
enum vm_exit_status {
    VM_EXIT_POWEROFF = 0,    /* the guest powered off (or rebooted with --on-reboot exit) */
    VM_EXIT_GUEST_ERROR = 1, /* triple fault, unhandled instruction, crash */
    VM_EXIT_USAGE = 2,       /* bad option, unreadable or invalid file, no usable accelerator */
    /* the firmware found no bootable device (after --boot-timeout); even,
     * so no debug-exit status ((V << 1) | 1, always odd) can be taken for it */
    VM_EXIT_NO_BOOT = 4,
    /* 128 + N: stopped by signal N (SIGINT, SIGTERM) */
    /* (V << 1) | 1: the guest wrote V to the debug-exit device */
};

#endif
