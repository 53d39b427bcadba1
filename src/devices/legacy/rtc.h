/* The PC's CMOS real-time clock, a Motorola MC146818A, and its 128 bytes of
 * battery-backed RAM. Ports: PORT_RTC (0x70) index, 0x71 data; register the
 * device over 2 bytes (RTC_IO_LEN). Bit 7 of the index (the chipset's NMI
 * mask) is ignored.
 *
 * The clock runs from an injected time source: the guest sees
 * now_ns() + wall_offset_ns as nanoseconds since 1970-01-01 00:00:00 UTC,
 * until it sets its own time (then that time runs on from the same source).
 * Registers follow the MC146818A datasheet: time and date 0x00-0x09 in BCD
 * or binary (register B bit DM) and 12- or 24-hour mode (bit 24/12, 12-hour
 * hours carry PM in bit 7), register A with UIP set during the last
 * RTC_UIP_NS of every second, register B (SET freezes the clock so the guest
 * can write a new time), register C (interrupt flags, cleared by reading),
 * register D (VRT: the battery is good). The century is kept at 0x32 (the
 * FADT CENTURY field must say so), in the same BCD/binary mode as the year.
 *
 * Not implemented: the periodic, alarm and update-ended *interrupts*. They
 * need a host timer and vmon has none for devices yet, so the device takes
 * no IRQ line. Register C does report UF, lazily: it is set whenever a
 * second boundary has passed since register C was last read, so a guest
 * that polls C sees updates. AF and PF stay clear.
 *
 * Memory-size bytes (what firmware and some loaders read): 0x15/0x16 base
 * memory (640 KiB), 0x17/0x18 and 0x30/0x31 extended memory above 1 MiB in
 * KiB (at most 63 MiB), 0x34/0x35 memory above 16 MiB below 4 GiB in 64 KiB
 * units, 0x5b-0x5d memory above 4 GiB in 64 KiB units; 0x2e/0x2f hold the
 * standard checksum of 0x10-0x2d.
 *
 * Locking: one mutex; the RTC calls nothing while holding it except the time
 * source, which must not call back. */
#ifndef VMON_DEVICES_LEGACY_RTC_H
#define VMON_DEVICES_LEGACY_RTC_H

#include <pthread.h>
#include <stdint.h>

#include "core/bus.h"

#define RTC_IO_LEN 2
#define RTC_CMOS_SIZE 128
#define RTC_UIP_NS 244141 /* 1/4096 s: UIP is set this long before each update */

/* Register indexes (MC146818A "Address Map"). */
enum rtc_reg {
    RTC_SECONDS = 0x00,
    RTC_SECONDS_ALARM = 0x01,
    RTC_MINUTES = 0x02,
    RTC_MINUTES_ALARM = 0x03,
    RTC_HOURS = 0x04,
    RTC_HOURS_ALARM = 0x05,
    RTC_DAY_OF_WEEK = 0x06,
    RTC_DAY_OF_MONTH = 0x07,
    RTC_MONTH = 0x08,
    RTC_YEAR = 0x09,
    RTC_REG_A = 0x0a,
    RTC_REG_B = 0x0b,
    RTC_REG_C = 0x0c,
    RTC_REG_D = 0x0d,
    RTC_CENTURY = 0x32,
};

#define RTC_A_UIP 0x80
#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_DM_BINARY 0x04
#define RTC_B_24H 0x02
#define RTC_C_IRQF 0x80
#define RTC_C_UF 0x10
#define RTC_D_VRT 0x80
#define RTC_HOUR_PM 0x80

struct rtc_config {
    uint64_t (*now_ns)(void *ctx); /* monotonic host clock */
    void *clock_ctx;
    int64_t wall_offset_ns;        /* UTC ns since the epoch = now_ns() + this */
    uint64_t ram_below_4g;         /* bytes of guest RAM below 4 GiB */
    uint64_t ram_above_4g;         /* bytes of guest RAM from 4 GiB up */
};

/* Guest-visible state; plain data. The running clock is
 * base_sec + (now_ns() - anchor_ns) / 1e9 seconds since the epoch. */
struct rtc_regs {
    uint8_t cmos[RTC_CMOS_SIZE]; /* clock bytes as last latched, then RAM */
    uint8_t index;
    int64_t base_sec;
    int64_t anchor_ns;
    int64_t c_read_sec;          /* clock second when register C was read */
};

struct rtc {
    pthread_mutex_t lock;
    struct rtc_regs regs;
    uint64_t (*now_ns)(void *ctx);
    void *clock_ctx;
};

/* Returns 0 or -errno (-EINVAL without a time source). */
int rtc_init(struct rtc *rtc, const struct rtc_config *cfg);
void rtc_destroy(struct rtc *rtc);

extern const struct bus_dev_ops rtc_ops;

#endif
