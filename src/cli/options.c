#include "cli/options.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "devices/virtio/blk_image.h"
#include "net/net_opts.h"
#include "net/net_tap.h"

static const char run_usage[] =
    "Usage: vmon run [--kernel PATH | --firmware PATH] [OPTIONS]\n"
    "\n"
    "Boots a virtual machine and runs it until the guest powers off. Without\n"
    "--kernel, the machine boots like a PC: through its BIOS (SeaBIOS), from\n"
    "the first disk.\n"
    "\n"
    "Guest:\n"
    "  -k, --kernel PATH       Linux bzImage, Multiboot kernel (ELF or a.out kludge),\n"
    "                          ELF vmlinux, or ELF with a PVH entry note\n"
    "  -i, --initrd PATH       initial ramdisk\n"
    "  -c, --cmdline STR       kernel command line (default \"" VM_DEFAULT_CMDLINE "\")\n"
    "      --module PATH[,ARGS]  a Multiboot module (repeatable; --initrd is module 0)\n"
    "      --decompress host|guest\n"
    "                          who decompresses a bzImage's kernel and a compressed\n"
    "                          initrd: vmon (default; gzip, xz, lz4, zstd; the kernel\n"
    "                          then starts at its 64-bit entry), or the guest (the\n"
    "                          bzImage's decompressor, the kernel's initramfs code)\n"
    "\n"
    "Firmware:\n"
    "      --firmware PATH     BIOS image mapped below 4 GiB; the vCPU starts at its\n"
    "                          reset vector (default without --kernel:\n"
    "                          " VM_DEFAULT_FIRMWARE ")\n"
    "      --boot-timeout SECONDS  once the BIOS has found nothing to boot, vmon\n"
    "                          waits this long, then exits with status 4 (default 5)\n"
    "\n"
    "Disks and virtio devices:\n"
    "      --disk PATH[,ro=on][,serial=ID][,cache=writeback|none]\n"
    "                          a raw disk image as a virtio-blk disk (repeatable, up to\n"
    "                          8: vda, vdb, ...). The image is locked while vmon runs\n"
    "                          (shared with ro=on). serial: up to 20 characters, the\n"
    "                          guest's /sys/block/vdX/serial. cache=none bypasses the\n"
    "                          host page cache (O_DIRECT); the guest's flushes always\n"
    "                          reach the disk (fdatasync)\n"
    "      --virtio-transport pci|mmio\n"
    "                          how virtio devices attach: PCI (default) or virtio-mmio\n"
    "                          windows described in ACPI\n"
    "      --rng on|off        virtio-rng entropy device fed by the host's getrandom\n"
    "                          (default on)\n"
    "      --net user[,hostfwd=RULE]...[,mac=MAC]\n"
    "      --net tap,ifname=NAME[,mac=MAC]\n"
    "                          a virtio-net NIC (repeatable, up to 4: eth0, eth1, ...).\n"
    "                          user: NAT through libslirp, no privileges; the guest\n"
    "                          gets 10.0.2.15 by DHCP, the host is 10.0.2.2, DNS\n"
    "                          10.0.2.3. RULE forwards a host port to the guest:\n"
    "                          [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT\n"
    "                          (host address any, guest 10.0.2.15 by default).\n"
    "                          tap: the existing TAP device NAME. MAC default\n"
    "                          52:54:00:12:34:56, :57, ... (see docs/NET.md)\n"
    "      --console serial|virtio\n"
    "                          the device stdin/stdout are connected to: COM1 (ttyS0,\n"
    "                          default) or virtio-console (hvc0; the default command\n"
    "                          line becomes \"" VM_DEFAULT_CMDLINE_VIRTIO_CONSOLE "\"; COM1 output is\n"
    "                          dropped)\n"
    "      --vsock cid=N,uds=PATH\n"
    "                          virtio-vsock with guest CID N (>= 3). A host program\n"
    "                          connects to the Unix socket PATH and sends\n"
    "                          \"CONNECT <port>\\n\" to reach guest port <port> (answer:\n"
    "                          \"OK <host port>\\n\"); a guest connection to CID 2 port P\n"
    "                          goes to the Unix socket PATH_P (see docs/VIRTIO.md)\n"
    "\n"
    "Machine:\n"
    "  -m, --mem SIZE          guest RAM, with K/M/G suffix (default 256M)\n"
    "  -n, --cpus N            number of vCPUs, 1-64 (default 1)\n"
    "  -a, --accel MODE        kvm: hardware-assisted (/dev/kvm)\n"
    "                          emu: vmon's software x86-64 CPU\n"
    "                          auto: kvm if this host's KVM can run a whole guest,\n"
    "                                else emu (default)\n"
    "      --on-reboot ACTION  exit (default) or restart when the guest reboots\n"
    "      --stats             print per-vCPU counters when the VM stops\n"
    "      --device NAME[,K=V...]  add a device (repeatable). Devices:\n"
    "                          debug-exit[,iobase=0xf4][,iosize=4]: a guest write of V\n"
    "                          ends vmon with exit status (V<<1)|1\n"
    "  -v, --verbose           more diagnostics on stderr\n"
    "  -h, --help              show this help\n"
    "\n"
    "Console: the guest's COM1 (hvc0 with --console virtio) is wired to\n"
    "stdin/stdout. On a terminal, vmon puts it in raw mode while the VM runs;\n"
    "press Ctrl-A then x to quit.\n"
    "\n"
    "Exit status:\n"
    "  0        the guest powered off (or rebooted, with --on-reboot exit)\n"
    "  1        the guest failed: triple fault, an instruction vmon cannot run\n"
    "  2        bad options or files, or no usable accelerator\n"
    "  4        the firmware found no bootable device (after --boot-timeout)\n"
    "  128+N    stopped by signal N (130 for SIGINT, 143 for SIGTERM)\n"
    "  (V<<1)|1 the guest wrote V to the debug-exit device\n";

enum {
    OPT_ON_REBOOT = 256,
    OPT_DECOMPRESS,
    OPT_STATS,
    OPT_FIRMWARE,
    OPT_BOOT_TIMEOUT,
    OPT_MODULE,
    OPT_DEVICE,
    OPT_DISK,
    OPT_VIRTIO_TRANSPORT,
    OPT_RNG,
    OPT_NET,
    OPT_CONSOLE,
    OPT_VSOCK,
};

static const struct option run_options[] = {
    { "kernel", required_argument, NULL, 'k' },
    { "initrd", required_argument, NULL, 'i' },
    { "cmdline", required_argument, NULL, 'c' },
    { "mem", required_argument, NULL, 'm' },
    { "cpus", required_argument, NULL, 'n' },
    { "accel", required_argument, NULL, 'a' },
    { "on-reboot", required_argument, NULL, OPT_ON_REBOOT },
    { "decompress", required_argument, NULL, OPT_DECOMPRESS },
    { "stats", no_argument, NULL, OPT_STATS },
    { "firmware", required_argument, NULL, OPT_FIRMWARE },
    { "boot-timeout", required_argument, NULL, OPT_BOOT_TIMEOUT },
    { "module", required_argument, NULL, OPT_MODULE },
    { "device", required_argument, NULL, OPT_DEVICE },
    { "disk", required_argument, NULL, OPT_DISK },
    { "virtio-transport", required_argument, NULL, OPT_VIRTIO_TRANSPORT },
    { "rng", required_argument, NULL, OPT_RNG },
    { "net", required_argument, NULL, OPT_NET },
    { "console", required_argument, NULL, OPT_CONSOLE },
    { "vsock", required_argument, NULL, OPT_VSOCK },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static bool parse_accel(const char *s, enum vm_accel *out)
{
    if (!strcmp(s, "kvm"))
        *out = VM_ACCEL_KVM;
    else if (!strcmp(s, "emu"))
        *out = VM_ACCEL_EMU;
    else if (!strcmp(s, "auto"))
        *out = VM_ACCEL_AUTO;
    else
        return false;
    return true;
}

/* --module PATH[,ARGS]: the arguments follow the first comma, verbatim. */
static enum cli_parse_result parse_module(char *arg, struct vm_config *cfg)
{
    if (cfg->nmodules == VM_MAX_MODULES) {
        log_error("--module: at most %d modules", VM_MAX_MODULES);
        return CLI_PARSE_ERROR;
    }
    char *comma = strchr(arg, ',');
    if (comma)
        *comma = 0;
    if (!arg[0]) {
        log_error("--module: a path is needed (--module PATH[,ARGS])");
        return CLI_PARSE_ERROR;
    }
    cfg->modules[cfg->nmodules++] = (struct vm_module){ arg, comma ? comma + 1 : NULL };
    return CLI_PARSE_OK;
}

/* --device debug-exit[,iobase=N][,iosize=N] */
static enum cli_parse_result parse_debug_exit(char *opts, struct vm_config *cfg)
{
    if (cfg->debug_exit.enabled) {
        log_error("--device debug-exit: given twice (one debug-exit device per VM)");
        return CLI_PARSE_ERROR;
    }
    struct vm_debug_exit_config d = { true, 0xf4, 4 };
    char *save = NULL;
    for (char *kv = strtok_r(opts, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        uint64_t v;
        if (!eq || !parse_u64(eq + 1, &v)) {
            log_error("--device debug-exit: '%s' is not KEY=NUMBER (keys: iobase, iosize)", kv);
            return CLI_PARSE_ERROR;
        }
        *eq = 0;
        if (!strcmp(kv, "iobase") && v <= 0xffff) {
            d.iobase = (uint16_t)v;
        } else if (!strcmp(kv, "iosize") && (v == 1 || v == 2 || v == 4)) {
            d.iosize = (unsigned)v;
        } else {
            log_error("--device debug-exit: bad %s=%s (iobase is a port 0-0xffff, iosize "
                      "1, 2 or 4)", kv, eq + 1);
            return CLI_PARSE_ERROR;
        }
    }
    if ((uint32_t)d.iobase + d.iosize > 0x10000) {
        log_error("--device debug-exit: ports %#x+%u run past 0xffff", d.iobase, d.iosize);
        return CLI_PARSE_ERROR;
    }
    cfg->debug_exit = d;
    return CLI_PARSE_OK;
}

/* --device NAME[,K=V...] */
static enum cli_parse_result parse_device(char *arg, struct vm_config *cfg)
{
    char *comma = strchr(arg, ',');
    char *opts = comma ? comma + 1 : arg + strlen(arg);
    if (comma)
        *comma = 0;
    if (!strcmp(arg, "debug-exit"))
        return parse_debug_exit(opts, cfg);
    log_error("--device: unknown device '%s' (known: debug-exit)", arg);
    return CLI_PARSE_ERROR;
}

/* on|off for --disk ro= and --rng. */
static bool parse_on_off(const char *s, bool *out)
{
    if (!strcmp(s, "on"))
        *out = true;
    else if (!strcmp(s, "off"))
        *out = false;
    else
        return false;
    return true;
}

/* A serial number: 1-20 printable ASCII characters other than space. */
static bool disk_serial_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 20)
        return false;
    for (; *s; s++)
        if (*s <= ' ' || *s > '~')
            return false;
    return true;
}

/* One KEY=VALUE of --disk. */
static enum cli_parse_result parse_disk_opt(const char *path, char *kv, struct vm_disk *d)
{
    char *eq = strchr(kv, '=');
    if (!eq) {
        log_error("--disk %s: '%s' is not KEY=VALUE (keys: ro, serial, cache)", path, kv);
        return CLI_PARSE_ERROR;
    }
    *eq = 0;
    const char *v = eq + 1;
    if (!strcmp(kv, "ro")) {
        if (parse_on_off(v, &d->readonly))
            return CLI_PARSE_OK;
        log_error("--disk %s: ro=%s is not on or off", path, v);
    } else if (!strcmp(kv, "serial")) {
        d->serial = v;
        if (disk_serial_ok(v))
            return CLI_PARSE_OK;
        log_error("--disk %s: serial=%s is not 1-20 printable characters without spaces", path, v);
    } else if (!strcmp(kv, "cache")) {
        if (!strcmp(v, "writeback") || !strcmp(v, "none")) {
            d->cache = strcmp(v, "none") ? VM_DISK_CACHE_WRITEBACK : VM_DISK_CACHE_NONE;
            return CLI_PARSE_OK;
        }
        log_error("--disk %s: cache=%s is not writeback or none", path, v);
    } else {
        log_error("--disk %s: unknown key '%s' (keys: ro, serial, cache)", path, kv);
    }
    return CLI_PARSE_ERROR;
}

/* --disk PATH[,ro=on][,serial=ID][,cache=writeback|none]: parsed, then the
 * image is opened, checked and locked at once. */
static enum cli_parse_result parse_disk(char *arg, struct vm_config *cfg)
{
    if (cfg->ndisks == VM_MAX_DISKS) {
        log_error("--disk: at most %d disks", VM_MAX_DISKS);
        return CLI_PARSE_ERROR;
    }
    char *comma = strchr(arg, ',');
    char *opts = comma ? comma + 1 : arg + strlen(arg);
    if (comma)
        *comma = 0;
    if (!arg[0]) {
        log_error("--disk: a path is needed (--disk PATH[,ro=on][,serial=ID][,cache=none])");
        return CLI_PARSE_ERROR;
    }
    struct vm_disk d = { .path = arg, .fd = -1 };
    char *save = NULL;
    for (char *kv = strtok_r(opts, ",", &save); kv; kv = strtok_r(NULL, ",", &save))
        if (parse_disk_opt(arg, kv, &d) != CLI_PARSE_OK)
            return CLI_PARSE_ERROR;
    struct blk_image img;
    bool refused;
    char why[200];
    if (blk_image_open(&img, arg, d.readonly, d.cache == VM_DISK_CACHE_NONE, &refused, why,
                       sizeof(why)) < 0) {
        log_error("--disk %s: %s", arg, why);
        return CLI_PARSE_ERROR;
    }
    if (refused)
        log_warn("--disk %s: the file system refuses O_DIRECT; using cache=writeback", arg);
    d.fd = img.fd;
    d.size = img.size;
    d.direct = img.direct;
    cfg->disks[cfg->ndisks++] = d;
    return CLI_PARSE_OK;
}

/* --vsock cid=N,uds=PATH. The socket itself is created with the device
 * (devices/virtio/virtio_vsock.h), which refuses a PATH in use. */
static enum cli_parse_result parse_vsock(char *arg, struct vm_config *cfg)
{
    struct vm_vsock v = { .enabled = true };
    bool have_cid = false;
    char *save = NULL;
    if (cfg->vsock.enabled) {
        log_error("--vsock: given twice (one vsock device per VM)");
        return CLI_PARSE_ERROR;
    }
    for (char *kv = strtok_r(arg, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (eq)
            *eq = 0;
        if (eq && !strcmp(kv, "cid")) {
            if (!parse_u64(eq + 1, &v.cid) || v.cid < 3 || v.cid > 0xfffffffeull) {
                log_error("--vsock: cid=%s is not a CID from 3 to 4294967294", eq + 1);
                return CLI_PARSE_ERROR;
            }
            have_cid = true;
        } else if (eq && !strcmp(kv, "uds") && eq[1]) {
            v.uds = eq + 1;
        } else {
            log_error("--vsock: '%s' is not cid=N or uds=PATH (--vsock cid=N,uds=PATH)", kv);
            return CLI_PARSE_ERROR;
        }
    }
    if (!have_cid || !v.uds) {
        log_error("--vsock: both cid=N and uds=PATH are needed (--vsock cid=N,uds=PATH)");
        return CLI_PARSE_ERROR;
    }
    cfg->vsock = v;
    return CLI_PARSE_OK;
}

/* One KEY=VALUE of --net TYPE,... */
static enum cli_parse_result parse_net_opt(const char *type, char *kv, struct vm_net *n)
{
    char err[200];
    char *eq = strchr(kv, '=');
    if (eq)
        *eq = 0;
    const char *v = eq ? eq + 1 : "";
    if (eq && !strcmp(kv, "mac")) {
        if (net_parse_mac(v, n->mac, err, sizeof(err)) == 0)
            return CLI_PARSE_OK;
        log_error("--net %s: mac=%s", type, err);
    } else if (eq && n->type == VM_NET_USER && !strcmp(kv, "hostfwd")) {
        if (n->nhostfwd == VM_MAX_HOSTFWD) {
            log_error("--net user: at most %d hostfwd rules", VM_MAX_HOSTFWD);
            return CLI_PARSE_ERROR;
        }
        if (net_parse_hostfwd(v, &n->hostfwd[n->nhostfwd], err, sizeof(err)) == 0) {
            n->nhostfwd++;
            return CLI_PARSE_OK;
        }
        log_error("--net user: hostfwd=%s", err);
    } else if (eq && n->type == VM_NET_TAP && !strcmp(kv, "ifname") && *v) {
        n->ifname = v;
        return CLI_PARSE_OK;
    } else {
        log_error("--net %s: unknown or empty option '%s' (%s)", type, kv,
                  n->type == VM_NET_USER ? "user takes hostfwd=RULE and mac=MAC"
                                         : "tap takes ifname=NAME and mac=MAC");
    }
    return CLI_PARSE_ERROR;
}

/* Whether every forward's host port can be bound and the TAP opens. */
static enum cli_parse_result check_net(struct vm_net *n)
{
    char err[256];
    for (unsigned i = 0; i < n->nhostfwd; i++) {
        if (net_hostfwd_check(&n->hostfwd[i], err, sizeof(err)) < 0) {
            log_error("--net user: hostfwd: %s", err);
            return CLI_PARSE_ERROR;
        }
    }
    if (n->type == VM_NET_TAP) {
        n->tap_fd = net_tap_open(n->ifname, err, sizeof(err));
        if (n->tap_fd < 0) {
            log_error("--net tap,ifname=%s: %s", n->ifname, err);
            return CLI_PARSE_ERROR;
        }
    }
    return CLI_PARSE_OK;
}

/* Whether one of n's forwards takes a host port an earlier one takes. */
static bool net_hostfwd_clash(const struct vm_config *cfg, const struct vm_net *n)
{
    for (unsigned i = 0; i < n->nhostfwd; i++) {
        const struct net_hostfwd *a = &n->hostfwd[i];
        for (unsigned k = 0; k <= cfg->nnets; k++) {
            const struct vm_net *o = k < cfg->nnets ? &cfg->nets[k] : n;
            unsigned end = k < cfg->nnets ? o->nhostfwd : i;
            for (unsigned j = 0; j < end; j++) {
                const struct net_hostfwd *b = &o->hostfwd[j];
                if (a->udp == b->udp && a->host_port == b->host_port &&
                    (a->host_addr == b->host_addr || !a->host_addr || !b->host_addr)) {
                    log_error("--net user: hostfwd: host %s port %u is forwarded twice",
                              a->udp ? "UDP" : "TCP", a->host_port);
                    return true;
                }
            }
        }
    }
    return false;
}

/* --net user[,hostfwd=RULE]...[,mac=MAC] | tap,ifname=NAME[,mac=MAC] */
static enum cli_parse_result parse_net(char *arg, struct vm_config *cfg)
{
    if (cfg->nnets == VM_MAX_NICS) {
        log_error("--net: at most %d NICs", VM_MAX_NICS);
        return CLI_PARSE_ERROR;
    }
    struct vm_net n = { .tap_fd = -1 };
    net_default_mac(cfg->nnets, n.mac);
    char *save = NULL;
    char *type = strtok_r(arg, ",", &save);
    if (type && !strcmp(type, "user")) {
        n.type = VM_NET_USER;
    } else if (type && !strcmp(type, "tap")) {
        n.type = VM_NET_TAP;
    } else {
        log_error("--net: unknown network type '%s' (user or tap)", type ? type : "");
        return CLI_PARSE_ERROR;
    }
    for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save))
        if (parse_net_opt(type, kv, &n) != CLI_PARSE_OK)
            return CLI_PARSE_ERROR;
    if (n.type == VM_NET_TAP && !n.ifname) {
        log_error("--net tap: ifname=NAME is needed (--net tap,ifname=NAME[,mac=MAC])");
        return CLI_PARSE_ERROR;
    }
    for (unsigned i = 0; i < cfg->nnets; i++) {
        if (!memcmp(cfg->nets[i].mac, n.mac, 6)) {
            log_error("--net %s: MAC %02x:%02x:%02x:%02x:%02x:%02x is already eth%u's", type,
                      n.mac[0], n.mac[1], n.mac[2], n.mac[3], n.mac[4], n.mac[5], i);
            return CLI_PARSE_ERROR;
        }
    }
    if (net_hostfwd_clash(cfg, &n) || check_net(&n) != CLI_PARSE_OK)
        return CLI_PARSE_ERROR;
    cfg->nets[cfg->nnets++] = n;
    return CLI_PARSE_OK;
}

static enum cli_parse_result parse_one(int opt, const char *arg, struct vm_config *cfg)
{
    uint64_t v;
    switch (opt) {
    case 'k': cfg->kernel = arg; break;
    case 'i': cfg->initrd = arg; break;
    case 'c': cfg->cmdline = arg; break;
    case 'm':
        if (!parse_size(arg, &v) || v == 0) {
            log_error("--mem: '%s' is not a memory size (examples: 512M, 2G)", arg);
            return CLI_PARSE_ERROR;
        }
        if (v < MiB(16) || v % 4096) {
            log_error("--mem: %s is too small or not page-aligned (at least 16M)", arg);
            return CLI_PARSE_ERROR;
        }
        cfg->mem_size = v;
        break;
    case 'n':
        if (!parse_u64(arg, &v) || v == 0 || v > VM_MAX_CPUS) {
            log_error("--cpus: '%s' is not a vCPU count from 1 to %d", arg, VM_MAX_CPUS);
            return CLI_PARSE_ERROR;
        }
        cfg->ncpus = (unsigned)v;
        break;
    case 'a':
        if (!parse_accel(arg, &cfg->accel)) {
            log_error("--accel: '%s' is not one of kvm, emu, auto", arg);
            return CLI_PARSE_ERROR;
        }
        break;
    case OPT_ON_REBOOT:
        if (!strcmp(arg, "exit"))
            cfg->on_reboot = VM_REBOOT_EXIT;
        else if (!strcmp(arg, "restart"))
            cfg->on_reboot = VM_REBOOT_RESTART;
        else {
            log_error("--on-reboot: '%s' is not one of exit, restart", arg);
            return CLI_PARSE_ERROR;
        }
        break;
    case OPT_STATS: cfg->stats = true; break;
    case OPT_DECOMPRESS:
        if (strcmp(arg, "host") && strcmp(arg, "guest")) {
            log_error("--decompress: '%s' is not host or guest", arg);
            return CLI_PARSE_ERROR;
        }
        cfg->decompress_in_guest = !strcmp(arg, "guest");
        break;
    case OPT_FIRMWARE: cfg->firmware = arg; break;
    case OPT_BOOT_TIMEOUT:
        if (!parse_u64(arg, &v) || v > 3600) {
            log_error("--boot-timeout: '%s' is not a number of seconds from 0 to 3600", arg);
            return CLI_PARSE_ERROR;
        }
        cfg->boot_timeout = (unsigned)v;
        break;
    /* getopt's optarg points into argv, which vmon may split in place. */
    case OPT_MODULE: return parse_module((char *)arg, cfg);
    case OPT_DEVICE: return parse_device((char *)arg, cfg);
    case OPT_DISK: return parse_disk((char *)arg, cfg);
    case OPT_VIRTIO_TRANSPORT:
        if (!strcmp(arg, "pci"))
            cfg->virtio_transport = VM_VIRTIO_PCI;
        else if (!strcmp(arg, "mmio"))
            cfg->virtio_transport = VM_VIRTIO_MMIO;
        else {
            log_error("--virtio-transport: '%s' is not one of pci, mmio", arg);
            return CLI_PARSE_ERROR;
        }
        break;
    case OPT_RNG: {
        bool on;
        if (!parse_on_off(arg, &on)) {
            log_error("--rng: '%s' is not on or off", arg);
            return CLI_PARSE_ERROR;
        }
        cfg->no_rng = !on;
        break;
    }
    case OPT_CONSOLE:
        if (!strcmp(arg, "serial"))
            cfg->console = VM_CONSOLE_SERIAL;
        else if (!strcmp(arg, "virtio"))
            cfg->console = VM_CONSOLE_VIRTIO;
        else {
            log_error("--console: '%s' is not one of serial, virtio", arg);
            return CLI_PARSE_ERROR;
        }
        break;
    case OPT_VSOCK: return parse_vsock((char *)arg, cfg);
    case OPT_NET: return parse_net((char *)arg, cfg);
    case 'v': log_set_level(LOG_DEBUG); break;
    default: return CLI_PARSE_ERROR;
    }
    return CLI_PARSE_OK;
}

enum cli_parse_result cli_parse_run(int argc, char **argv, struct vm_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->mem_size = VM_DEFAULT_MEM;
    cfg->ncpus = 1;
    cfg->cmdline = NULL; /* the default depends on --console */
    cfg->accel = VM_ACCEL_AUTO;
    cfg->boot_timeout = VM_DEFAULT_BOOT_TIMEOUT;
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":k:i:c:m:n:a:vh", run_options, NULL)) != -1) {
        if (opt == 'h') {
            fputs(run_usage, stdout);
            return CLI_PARSE_EXIT_OK;
        }
        if (opt == '?') {
            if (optopt)
                log_error("unknown option '-%c' (try 'vmon run --help')", optopt);
            else
                log_error("unknown option '%s' (try 'vmon run --help')", argv[optind - 1]);
            return CLI_PARSE_ERROR;
        }
        if (opt == ':') {
            log_error("option '%s' needs a value", argv[optind - 1]);
            return CLI_PARSE_ERROR;
        }
        enum cli_parse_result r = parse_one(opt, optarg, cfg);
        if (r != CLI_PARSE_OK)
            return r;
    }
    if (optind < argc) {
        log_error("unexpected argument '%s' (try 'vmon run --help')", argv[optind]);
        return CLI_PARSE_ERROR;
    }
    if (!cfg->cmdline)
        cfg->cmdline = cfg->console == VM_CONSOLE_VIRTIO ? VM_DEFAULT_CMDLINE_VIRTIO_CONSOLE
                                                         : VM_DEFAULT_CMDLINE;
    if (cfg->nmodules && !cfg->kernel) {
        log_error("--module: needs a Multiboot --kernel");
        return CLI_PARSE_ERROR;
    }
    return CLI_PARSE_OK;
}
