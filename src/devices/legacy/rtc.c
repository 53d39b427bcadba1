/* MC146818A CMOS RTC; see rtc.h for what is and is not modelled. */
#include "devices/legacy/rtc.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"

#define NS_PER_SEC 1000000000ll
#define SECS_PER_DAY 86400
/* Datasheet, "Divider Control": after the divider leaves reset the first
 * update comes 500 ms later. */
#define RTC_DIVIDER_RESTART_FRAC_NS (NS_PER_SEC / 2)

/* Power-on register A: 32.768 kHz time base (DV=010), 1024 Hz rate. */
#define RTC_A_DEFAULT 0x26
/* Power-on register B: 24-hour mode, BCD, no interrupts. */
#define RTC_B_DEFAULT RTC_B_24H

/* CMOS RAM bytes firmware reads (IBM PC/AT CMOS map; 0x34/0x35 and
 * 0x5b-0x5d are the extensions QEMU/SeaBIOS use for larger machines). */
#define CMOS_BASE_MEM_LO 0x15
#define CMOS_EXT_MEM_LO 0x17
#define CMOS_CHECKSUM_HI 0x2e
#define CMOS_EXT_MEM2_LO 0x30
#define CMOS_MEM_16M_LO 0x34
#define CMOS_MEM_4G_LO 0x5b

struct rtc_time {
    int64_t year;
    int month, mday, wday; /* month 1-12, mday 1-31, wday 0-6 from Sunday */
    int hour, min, sec;
};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. Counts in 400-year
 * eras of 146097 days with years starting on March 1, so the leap day is the
 * last day of its year. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;                        /* 0..399 */
    int64_t mp = (m + 9) % 12;                          /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;           /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
    return era * 146097 + doe - 719468;                 /* 719468: 0000-03-01 to 1970-01-01 */
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t days, struct rtc_time *t)
{
    days += 719468;
    int64_t era = floor_div(days, 146097);
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    t->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
    t->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    t->year = era * 400 + yoe + (t->month <= 2);
}

static void time_from_secs(int64_t secs, struct rtc_time *t)
{
    int64_t days = floor_div(secs, 86400), rem = floor_mod(secs, 86400);
    civil_from_days(days, t);
    t->wday = (int)floor_mod(days + 4, 7); /* 1970-01-01 was a Thursday */
    t->hour = (int)(rem / 3600);
    t->min = (int)(rem / 60 % 60);
    t->sec = (int)(rem % 60);
}

static int64_t secs_from_time(const struct rtc_time *t)
{
    return days_from_civil(t->year, t->month, t->mday) * 86400 + t->hour * 3600 + t->min * 60 + t->sec;
}

static uint64_t rtc_now(const struct rtc *rtc)
{
    return rtc->now_ns(rtc->clock_ctx);
}

/* Nanoseconds since the anchor; unsigned difference so it cannot overflow. */
static int64_t rtc_elapsed_ns(const struct rtc *rtc, uint64_t now)
{
    return (int64_t)(now - (uint64_t)rtc->regs.anchor_ns);
}

static int64_t rtc_clock_sec(const struct rtc *rtc, uint64_t now)
{
    return rtc->regs.base_sec + floor_div(rtc_elapsed_ns(rtc, now), NS_PER_SEC);
}

static bool rtc_divider_running(const struct rtc_regs *r)
{
    return (r->cmos[RTC_REG_A] & RTC_A_DV_MASK) == RTC_A_DV_32KHZ;
}

/* No updates: SET is on or the divider is stopped. */
static bool rtc_frozen(const struct rtc_regs *r)
{
    return (r->cmos[RTC_REG_B] & RTC_B_SET) || !rtc_divider_running(r);
}

static bool rtc_binary(const struct rtc_regs *r)
{
    return r->cmos[RTC_REG_B] & RTC_B_DM_BINARY;
}

static uint8_t rtc_encode(const struct rtc_regs *r, int v)
{
    return rtc_binary(r) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

/* Guest-written bytes may hold any value: decoding never fails, the caller
 * clamps the result to the field's range. */
static int rtc_decode(const struct rtc_regs *r, uint8_t v)
{
    return rtc_binary(r) ? v : (v >> 4) * 10 + (v & 0x0f);
}

static int clamp_int(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static uint8_t rtc_encode_hour(const struct rtc_regs *r, int hour)
{
    if (r->cmos[RTC_REG_B] & RTC_B_24H)
        return rtc_encode(r, hour);
    int h12 = hour % 12 == 0 ? 12 : hour % 12; /* 00:xx is 12 AM, 12:xx is 12 PM */
    return (uint8_t)(rtc_encode(r, h12) | (hour >= 12 ? RTC_HOUR_PM : 0));
}

static int rtc_decode_hour(const struct rtc_regs *r, uint8_t v)
{
    if (r->cmos[RTC_REG_B] & RTC_B_24H)
        return clamp_int(rtc_decode(r, v), 0, 23);
    int h12 = clamp_int(rtc_decode(r, v & 0x7f), 1, 12) % 12;
    return (v & RTC_HOUR_PM) ? h12 + 12 : h12;
}

/* Copies the running clock into the time/date bytes. */
static void rtc_latch(struct rtc *rtc, uint64_t now)
{
    struct rtc_regs *r = &rtc->regs;
    struct rtc_time t;
    time_from_secs(rtc_clock_sec(rtc, now), &t);
    r->cmos[RTC_SECONDS] = rtc_encode(r, t.sec);
    r->cmos[RTC_MINUTES] = rtc_encode(r, t.min);
    r->cmos[RTC_HOURS] = rtc_encode_hour(r, t.hour);
    r->cmos[RTC_DAY_OF_WEEK] = rtc_encode(r, t.wday + 1);
    r->cmos[RTC_DAY_OF_MONTH] = rtc_encode(r, t.mday);
    r->cmos[RTC_MONTH] = rtc_encode(r, t.month);
    /* Years outside 0-9999 cannot be entered; the modulo keeps any
     * arithmetic result printable. */
    int64_t year = floor_mod(t.year, 10000);
    r->cmos[RTC_YEAR] = rtc_encode(r, (int)(year % 100));
    r->cmos[RTC_CENTURY] = rtc_encode(r, (int)(year / 100));
}

/* Restarts the clock from the time/date bytes; the day of the week is
 * derived from the date. frac_ns is where in the second the clock resumes. */
static void rtc_unlatch(struct rtc *rtc, uint64_t now, int64_t frac_ns)
{
    struct rtc_regs *r = &rtc->regs;
    struct rtc_time t;
    t.sec = clamp_int(rtc_decode(r, r->cmos[RTC_SECONDS]), 0, 59);
    t.min = clamp_int(rtc_decode(r, r->cmos[RTC_MINUTES]), 0, 59);
    t.hour = rtc_decode_hour(r, r->cmos[RTC_HOURS]);
    t.year = clamp_int(rtc_decode(r, r->cmos[RTC_CENTURY]), 0, 99) * 100 +
             clamp_int(rtc_decode(r, r->cmos[RTC_YEAR]), 0, 99);
    t.month = clamp_int(rtc_decode(r, r->cmos[RTC_MONTH]), 1, 12);
    t.mday = clamp_int(rtc_decode(r, r->cmos[RTC_DAY_OF_MONTH]), 1, days_in_month(t.year, t.month));
    r->base_sec = secs_from_time(&t);
    r->anchor_ns = (int64_t)(now - (uint64_t)frac_ns);
}

/* Periodic interrupt rate in Hz, 0 for none (datasheet, "Periodic Interrupt
 * Rate and Square-Wave Output Frequency", 32.768 kHz time base). */
static unsigned rtc_periodic_hz(const struct rtc_regs *r)
{
    unsigned rs = r->cmos[RTC_REG_A] & RTC_A_RS_MASK;
    if (!rtc_divider_running(r) || rs == 0)
        return 0;
    if (rs <= 2)
        return 65536u >> (rs + 7); /* RS 1: 256 Hz, RS 2: 128 Hz */
    return 65536u >> rs;           /* RS 3: 8192 Hz ... RS 15: 2 Hz */
}

/* Periodic ticks since the anchor; the ticks divide the second exactly. */
static uint64_t rtc_periodic_ticks(const struct rtc *rtc, uint64_t now, unsigned hz)
{
    int64_t e = rtc_elapsed_ns(rtc, now);
    return e > 0 ? vclock_ns_to_ticks((uint64_t)e, hz) : 0;
}

/* Guest time at which the clock reaches second sec. */
static uint64_t rtc_sec_to_ns(const struct rtc *rtc, int64_t sec)
{
    return (uint64_t)rtc->regs.anchor_ns + (uint64_t)((sec - rtc->regs.base_sec) * NS_PER_SEC);
}

/* Datasheet, "Alarm": an alarm byte matches the time byte in the same format
 * (BCD or binary, 12- or 24-hour), or anything if it is a don't-care code. */
static bool rtc_alarm_field_matches(uint8_t alarm, uint8_t now)
{
    return (alarm & RTC_ALARM_DONT_CARE) == RTC_ALARM_DONT_CARE || alarm == now;
}

static bool rtc_alarm_hour_matches(const struct rtc_regs *r, int h)
{
    return rtc_alarm_field_matches(r->cmos[RTC_HOURS_ALARM], rtc_encode_hour(r, h));
}

static bool rtc_alarm_min_matches(const struct rtc_regs *r, int m)
{
    return rtc_alarm_field_matches(r->cmos[RTC_MINUTES_ALARM], rtc_encode(r, m));
}

static bool rtc_alarm_sec_matches(const struct rtc_regs *r, int s)
{
    return rtc_alarm_field_matches(r->cmos[RTC_SECONDS_ALARM], rtc_encode(r, s));
}

/* Whether the alarm can ever match: a guest may write values no time has. */
static bool rtc_alarm_possible(const struct rtc_regs *r)
{
    bool h = false, m = false, s = false;
    for (int i = 0; i < 60; i++) {
        h = h || (i < 24 && rtc_alarm_hour_matches(r, i));
        m = m || rtc_alarm_min_matches(r, i);
        s = s || rtc_alarm_sec_matches(r, i);
    }
    return h && m && s;
}

/* The first clock second after `after` whose time matches the alarm, or
 * INT64_MAX. Every matching time of day comes within 48 hours; the loops
 * skip whole hours and minutes that end before the start, so they stay
 * short whatever the alarm bytes hold. */
static int64_t rtc_next_alarm(const struct rtc_regs *r, int64_t after)
{
    if (!rtc_alarm_possible(r))
        return INT64_MAX;
    int64_t start = after + 1;
    int64_t day0 = start - floor_mod(start, SECS_PER_DAY);
    for (int64_t day = day0; day <= day0 + SECS_PER_DAY; day += SECS_PER_DAY) {
        for (int h = 0; h < 24; h++) {
            int64_t hour = day + h * 3600;
            if (hour + 3599 < start || !rtc_alarm_hour_matches(r, h))
                continue;
            for (int m = 0; m < 60; m++) {
                int64_t min = hour + m * 60;
                if (min + 59 < start || !rtc_alarm_min_matches(r, m))
                    continue;
                for (int sec = 0; sec < 60; sec++)
                    if (min + sec >= start && rtc_alarm_sec_matches(r, sec))
                        return min + sec;
            }
        }
    }
    return INT64_MAX;
}

/* Sets the flags of the updates and periodic ticks between synced_ns and
 * now. Every access syncs before it changes the configuration, so the
 * configuration was constant over that interval. The datasheet's update
 * checks the alarm against the new time; second s began at an update in the
 * interval if s is in (s0, s1]. */
static void rtc_sync(struct rtc *rtc, uint64_t now)
{
    struct rtc_regs *r = &rtc->regs;
    uint64_t then = r->synced_ns;
    r->synced_ns = now;
    if ((int64_t)(now - then) <= 0)
        return;
    unsigned hz = rtc_periodic_hz(r);
    if (hz && rtc_periodic_ticks(rtc, now, hz) > rtc_periodic_ticks(rtc, then, hz))
        r->flags |= RTC_C_PF;
    if (rtc_frozen(r))
        return;
    int64_t s0 = rtc_clock_sec(rtc, then), s1 = rtc_clock_sec(rtc, now);
    if (s1 <= s0)
        return;
    r->flags |= RTC_C_UF;
    if (!(r->flags & RTC_C_AF) && rtc_next_alarm(r, s0) <= s1)
        r->flags |= RTC_C_AF;
}

/* IRQF: an enabled flag is set (PF/AF/UF share their bits with PIE/AIE/UIE). */
static bool rtc_irqf(const struct rtc_regs *r)
{
    return r->flags & r->cmos[RTC_REG_B] & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE);
}

/* Guest time when an enabled interrupt source next sets its flag, or
 * UINT64_MAX if none will. */
static uint64_t rtc_next_event(const struct rtc *rtc, uint64_t now)
{
    const struct rtc_regs *r = &rtc->regs;
    uint8_t b = r->cmos[RTC_REG_B];
    uint64_t next = UINT64_MAX;
    unsigned hz = rtc_periodic_hz(r);
    if ((b & RTC_B_PIE) && hz) {
        uint64_t tick = rtc_periodic_ticks(rtc, now, hz) + 1;
        next = (uint64_t)r->anchor_ns + vclock_ticks_to_ns(tick, hz);
    }
    if ((b & (RTC_B_UIE | RTC_B_AIE)) && !rtc_frozen(r)) {
        int64_t sec = rtc_clock_sec(rtc, now);
        /* With UIE every update wakes us, and the alarm is checked then. */
        int64_t target = (b & RTC_B_UIE) ? sec + 1 : rtc_next_alarm(r, sec);
        if (target != INT64_MAX)
            next = MIN(next, rtc_sec_to_ns(rtc, target));
    }
    return next;
}

/* Sets the IRQ line to IRQF and arms the timer for the next event that can
 * raise it. With the line high nothing can change until register C is
 * read, so no timer runs. Called with the lock held after every access. */
static void rtc_update_irq(struct rtc *rtc, uint64_t now)
{
    struct rtc_regs *r = &rtc->regs;
    bool level = rtc_irqf(r);
    if (level != r->irq_level) {
        r->irq_level = level;
        irq_set(&rtc->irq, level);
    }
    if (!rtc->has_timer)
        return;
    uint64_t next = level ? UINT64_MAX : rtc_next_event(rtc, now);
    if (next == UINT64_MAX)
        timer_cancel(&rtc->irq_timer);
    else
        timer_mod(&rtc->irq_timer, next);
}

static void rtc_timer_cb(void *opaque)
{
    struct rtc *rtc = opaque;
    pthread_mutex_lock(&rtc->lock);
    uint64_t now = rtc_now(rtc);
    rtc_sync(rtc, now);
    rtc_update_irq(rtc, now);
    pthread_mutex_unlock(&rtc->lock);
}

static bool rtc_is_clock_byte(unsigned idx)
{
    return idx <= RTC_YEAR || idx == RTC_CENTURY;
}

static bool rtc_is_alarm_byte(unsigned idx)
{
    return idx == RTC_SECONDS_ALARM || idx == RTC_MINUTES_ALARM || idx == RTC_HOURS_ALARM;
}

/* GUEST: idx comes from the index port, masked to 0-0x7f on write, so it
 * always indexes the 128-byte cmos[] (also in rtc_write_reg). */
static uint8_t rtc_read_reg(struct rtc *rtc, unsigned idx, uint64_t now)
{
    struct rtc_regs *r = &rtc->regs;
    if (rtc_is_clock_byte(idx) && !rtc_is_alarm_byte(idx) && !rtc_frozen(r))
        rtc_latch(rtc, now);
    switch (idx) {
    case RTC_REG_A: {
        uint8_t a = r->cmos[RTC_REG_A] & 0x7f;
        if (!rtc_frozen(r) && floor_mod(rtc_elapsed_ns(rtc, now), NS_PER_SEC) >= NS_PER_SEC - RTC_UIP_NS)
            a |= RTC_A_UIP;
        return a;
    }
    case RTC_REG_C: {
        /* Reading clears the flags; the caller then lowers the line. */
        uint8_t c = (uint8_t)(r->flags | (rtc_irqf(r) ? RTC_C_IRQF : 0));
        r->flags = 0;
        return c;
    }
    case RTC_REG_D:
        return RTC_D_VRT;
    default:
        return r->cmos[idx];
    }
}

/* Writes register A or B. When updates stop (SET goes on, or the divider
 * leaves DV = 010) the time is latched in the format in force before the
 * write, as the hardware holds it; when they resume the clock restarts from
 * the time bytes: at the start of a second after SET, 500 ms before the
 * first update after the divider ran again. */
static void rtc_write_ctrl(struct rtc *rtc, unsigned idx, uint8_t v, uint64_t now)
{
    struct rtc_regs *r = &rtc->regs;
    bool was_frozen = rtc_frozen(r), divider_was_running = rtc_divider_running(r);
    uint8_t a = r->cmos[RTC_REG_A], b = r->cmos[RTC_REG_B];
    if (idx == RTC_REG_A) {
        a = v & 0x7f; /* UIP is read-only */
    } else {
        if ((v & RTC_B_SET) && !(b & RTC_B_SET))
            v &= (uint8_t)~RTC_B_UIE; /* MC146818A: setting SET clears UIE */
        b = v;
    }
    bool frozen = (b & RTC_B_SET) || (a & RTC_A_DV_MASK) != RTC_A_DV_32KHZ;
    if (frozen && !was_frozen)
        rtc_latch(rtc, now);
    r->cmos[RTC_REG_A] = a;
    r->cmos[RTC_REG_B] = b;
    if (!frozen && was_frozen)
        rtc_unlatch(rtc, now, divider_was_running ? 0 : RTC_DIVIDER_RESTART_FRAC_NS);
}

static void rtc_write_reg(struct rtc *rtc, unsigned idx, uint8_t v, uint64_t now)
{
    struct rtc_regs *r = &rtc->regs;
    switch (idx) {
    case RTC_REG_A:
    case RTC_REG_B:
        rtc_write_ctrl(rtc, idx, v, now);
        return;
    case RTC_REG_C:
    case RTC_REG_D:
        return; /* read-only */
    default:
        break;
    }
    if (!rtc_is_clock_byte(idx) || rtc_is_alarm_byte(idx) || rtc_frozen(r)) {
        r->cmos[idx] = v;
        return;
    }
    /* Setting one field of a running clock: the others keep counting and
     * the position inside the second is kept. */
    int64_t frac = floor_mod(rtc_elapsed_ns(rtc, now), NS_PER_SEC);
    rtc_latch(rtc, now);
    r->cmos[idx] = v;
    rtc_unlatch(rtc, now, frac);
}

/* Every data-port access first brings the flags up to now, then lets the
 * register change take effect, then re-evaluates the line and the timer. */
static uint64_t rtc_io_read(void *dev, uint64_t offset, unsigned size)
{
    struct rtc *rtc = dev;
    uint64_t v = 0;
    pthread_mutex_lock(&rtc->lock);
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = 0xff; /* the index port is write-only */
        if (offset + i == 1) {
            uint64_t now = rtc_now(rtc);
            rtc_sync(rtc, now);
            b = rtc_read_reg(rtc, rtc->regs.index, now);
            rtc_update_irq(rtc, now);
        }
        v |= (uint64_t)b << (8 * i);
    }
    pthread_mutex_unlock(&rtc->lock);
    return v;
}

static void rtc_io_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    struct rtc *rtc = dev;
    pthread_mutex_lock(&rtc->lock);
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = (uint8_t)(value >> (8 * i));
        if (offset + i == 0) {
            rtc->regs.index = b & 0x7f; /* bit 7 is the NMI mask: not ours */
        } else if (offset + i == 1) {
            uint64_t now = rtc_now(rtc);
            rtc_sync(rtc, now);
            rtc_write_reg(rtc, rtc->regs.index, b, now);
            rtc_update_irq(rtc, now);
        }
    }
    pthread_mutex_unlock(&rtc->lock);
}

const struct bus_dev_ops rtc_ops = { rtc_io_read, rtc_io_write };

static void put_le16_clamped(uint8_t *p, uint64_t v)
{
    put_le16(p, (uint16_t)MIN(v, 0xffffu));
}

static void rtc_set_memory_size(struct rtc_regs *r, uint64_t below_4g, uint64_t above_4g)
{
    put_le16(&r->cmos[CMOS_BASE_MEM_LO], 640);
    uint64_t ext_kib = below_4g > MiB(1) ? MIN((below_4g - MiB(1)) >> 10, 0xfc00u) : 0;
    put_le16_clamped(&r->cmos[CMOS_EXT_MEM_LO], ext_kib);
    put_le16_clamped(&r->cmos[CMOS_EXT_MEM2_LO], ext_kib);
    uint64_t above_16m = below_4g > MiB(16) ? (below_4g - MiB(16)) >> 16 : 0;
    put_le16_clamped(&r->cmos[CMOS_MEM_16M_LO], above_16m);
    uint64_t high = MIN(above_4g >> 16, 0xffffffu);
    r->cmos[CMOS_MEM_4G_LO] = (uint8_t)high;
    r->cmos[CMOS_MEM_4G_LO + 1] = (uint8_t)(high >> 8);
    r->cmos[CMOS_MEM_4G_LO + 2] = (uint8_t)(high >> 16);
    /* Standard checksum: the 16-bit sum of 0x10-0x2d, big-endian. */
    uint16_t sum = 0;
    for (unsigned i = 0x10; i < CMOS_CHECKSUM_HI; i++)
        sum = (uint16_t)(sum + r->cmos[i]);
    r->cmos[CMOS_CHECKSUM_HI] = (uint8_t)(sum >> 8);
    r->cmos[CMOS_CHECKSUM_HI + 1] = (uint8_t)sum;
}

int rtc_init(struct rtc *rtc, const struct rtc_config *cfg)
{
    if (!cfg || !cfg->now_ns)
        return -EINVAL;
    memset(rtc, 0, sizeof(*rtc));
    int e = pthread_mutex_init(&rtc->lock, NULL);
    if (e)
        return -e;
    rtc->now_ns = cfg->now_ns;
    rtc->clock_ctx = cfg->clock_ctx;
    if (cfg->irq)
        rtc->irq = *cfg->irq;
    if (cfg->timers) {
        timer_init(&rtc->irq_timer, cfg->timers, rtc_timer_cb, rtc);
        rtc->has_timer = true;
    }
    struct rtc_regs *r = &rtc->regs;
    r->cmos[RTC_REG_A] = RTC_A_DEFAULT;
    r->cmos[RTC_REG_B] = RTC_B_DEFAULT;
    uint64_t now = rtc_now(rtc);
    int64_t wall_ns = (int64_t)(now + (uint64_t)cfg->wall_offset_ns);
    r->base_sec = floor_div(wall_ns, NS_PER_SEC);
    r->anchor_ns = (int64_t)(now - (uint64_t)floor_mod(wall_ns, NS_PER_SEC));
    r->synced_ns = now;
    rtc_set_memory_size(r, cfg->ram_below_4g, cfg->ram_above_4g);
    return 0;
}

void rtc_destroy(struct rtc *rtc)
{
    if (rtc->has_timer)
        timer_del(&rtc->irq_timer);
    pthread_mutex_destroy(&rtc->lock);
}
