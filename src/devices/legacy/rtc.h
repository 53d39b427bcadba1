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
 * Interrupts (datasheet "Interrupts", "Periodic Interrupt Selection",
 * "Update Cycle"): register C's PF (periodic, rate from register A RS3-0),
 * AF (alarm: hours/minutes/seconds alarm bytes compared byte for byte with
 * the new time at each update, 0xC0-0xFF matching anything) and UF (update
 * ended, once per second) are computed lazily from the guest clock whenever
 * the guest touches the chip. IRQF = (PF & PIE) | (AF & AIE) | (UF & UIE)
 * drives the IRQ line (ISA IRQ 8): it goes high when IRQF becomes 1 and low
 * when a register C read clears the flags (or the enables go). A host timer
 * is armed only while an enabled interrupt can still raise the line, i.e.
 * while IRQF is 0 and one of PIE/AIE/UIE is set; with the line already high,
 * or nothing enabled, the device costs no host wake-ups.
 *
 * The divider (register A DV2-0) runs only with the PC's 32.768 kHz time
 * base, DV = 010. Any other value stops the clock, the updates and the
 * periodic interrupt; going back to 010 restarts the second so the first
 * update comes 500 ms later (as after a divider reset). The periodic rate is
 * 65536 >> RS Hz for RS 3-15 (8192-2 Hz), 256 Hz for RS 1, 128 Hz for RS 2,
 * none for RS 0; periodic ticks are aligned to the second boundaries.
 * SET in register B stops updates, so no UF or AF while it is on; the
 * periodic interrupt keeps running.
 *
 * Memory-size bytes (what firmware and some loaders read): 0x15/0x16 base
 * memory (640 KiB), 0x17/0x18 and 0x30/0x31 extended memory above 1 MiB in
 * KiB (at most 63 MiB), 0x34/0x35 memory above 16 MiB below 4 GiB in 64 KiB
 * units, 0x5b-0x5d memory above 4 GiB in 64 KiB units; 0x2e/0x2f hold the
 * standard checksum of 0x10-0x2d.
 *
 * Locking: one mutex, taken by port I/O (vCPU threads) and by the timer
 * callback (timer thread). Under it the RTC calls the time source, the IRQ
 * line and timer_mod/timer_cancel, none of which may call back into it. */
#ifndef VMON_DEVICES_LEGACY_RTC_H
#define VMON_DEVICES_LEGACY_RTC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/irq.h"
#include "core/timer.h"

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
#define RTC_A_DV_MASK 0x70
#define RTC_A_DV_32KHZ 0x20 /* DV2-0 = 010: 32.768 kHz time base, running */
#define RTC_A_RS_MASK 0x0f
#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_DM_BINARY 0x04
#define RTC_B_24H 0x02
#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10
#define RTC_ALARM_DONT_CARE 0xc0 /* an alarm byte with both top bits set */
#define RTC_D_VRT 0x80
#define RTC_HOUR_PM 0x80

struct rtc_config {
    uint64_t (*now_ns)(void *ctx); /* monotonic host clock */
    void *clock_ctx;
    int64_t wall_offset_ns;        /* UTC ns since the epoch = now_ns() + this */
    uint64_t ram_below_4g;         /* bytes of guest RAM below 4 GiB */
    uint64_t ram_above_4g;         /* bytes of guest RAM from 4 GiB up */
    /* Interrupts; either may be NULL. Without the line nothing is raised;
     * without the timer queue the flags still work for a guest that polls
     * register C, and the line changes only when the guest touches the
     * chip. The timer queue's clock must be the clock now_ns reads. */
    struct timer_queue *timers;
    const struct irq_line *irq;    /* ISA IRQ 8; copied */
};

/* Guest-visible state; plain data. The running clock is
 * base_sec + (now_ns() - anchor_ns) / 1e9 seconds since the epoch; updates
 * and periodic ticks happen at anchor_ns + multiples of their period. */
struct rtc_regs {
    uint8_t cmos[RTC_CMOS_SIZE]; /* clock bytes as last latched, then RAM */
    uint8_t index;
    int64_t base_sec;
    int64_t anchor_ns;
    uint64_t synced_ns;          /* time up to which flags are accounted */
    uint8_t flags;               /* register C: PF, AF, UF (IRQF is derived) */
    bool irq_level;              /* level the IRQ line was last set to */
};

struct rtc {
    pthread_mutex_t lock;
    struct rtc_regs regs;
    uint64_t (*now_ns)(void *ctx);
    void *clock_ctx;
    struct irq_line irq;
    struct timer irq_timer;
    bool has_timer;
};

/* Returns 0 or -errno (-EINVAL without a time source). */
int rtc_init(struct rtc *rtc, const struct rtc_config *cfg);
/* Waits for a running timer callback: do not hold locks it takes. */
void rtc_destroy(struct rtc *rtc);

extern const struct bus_dev_ops rtc_ops;

#endif
