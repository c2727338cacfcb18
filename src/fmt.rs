//! How emotrace writes times, durations, faces and messages as text: one place, so the live screen, the review
//! screen, the HTML report, the CLI and the notices all read alike.
//!
//! The formats (all times are ms since session start, all durations ms):
//!
//! | function | looks like | used for |
//! | --- | --- | --- |
//! | [`clock`] | `2:03`, `1:02:03` | **the** human format, for every time and duration a person reads: session length, elapsed, time in view, marker times, report tables |
//! | [`clock_tenths`] | `2:03.4`, `1:02:03` | where a tenth of a second matters: the review cursor, annotations and segments on the review screen (a frame is 33-100 ms) |
//! | [`seconds`] | `4.7 s` | machine figures with a fixed precision (one decimal): run time, and axis ticks of short sessions |
//! | [`step`] | `40 ms`, `2 s`, `5 min` | a bucket or window length: whole units, as zoom levels are |
//! | [`axis_clock`] | `12.5 s` or `2:03` / `0:02:03` | ticks and times on a plot's time axis (one width along an axis) |
//!
//! Where the ticks of a time axis fall is chosen alike too: [`tick_step_ms`] picks the finest round step from
//! [`TICK_STEPS_MS`] (the report's plots and the review screen's time row).
//!
//! Faces are written [`face_label`] (`Face 3`) when unnamed; messages that may hold line breaks are made one line
//! with [`one_line`].

/// `ms` as `m:ss` under an hour, `h:mm:ss` from an hour on (whole seconds, truncated).
pub fn clock(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// `ms` as `m:ss.s` under an hour (tenths, truncated), `h:mm:ss` from an hour on.
pub fn clock_tenths(ms: u64) -> String {
    if ms >= 3_600_000 {
        clock(ms)
    } else {
        format!("{}.{}", clock(ms), (ms % 1000) / 100)
    }
}

/// `s` seconds (a configured length, a wall-clock figure, a plot's axis value) as whole milliseconds, rounded:
/// the one conversion of seconds to a millisecond count, [`ms_to_s`]'s inverse. Negative, NaN and infinite
/// values are 0.
pub fn secs_to_ms(s: f64) -> u64 {
    if s.is_finite() {
        (s.max(0.0) * 1000.0).round() as u64
    } else {
        0
    }
}

/// `ms` (a length or a time since session start) in seconds: the one conversion of a millisecond count to
/// seconds, for arithmetic and plots.
pub fn ms_to_s(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// `ms` in seconds with one decimal: `4.7 s`, `0.1 s`, `3725.0 s`.
pub fn seconds(ms: u64) -> String {
    format!("{:.1} s", ms_to_s(ms))
}

/// A length in the largest whole unit that writes it exactly: `40 ms`, `2 s`, `90 s`, `5 min`, `2 h` (`1.5 s`
/// for a length under a minute that is no whole second).
pub fn step(ms: u64) -> String {
    match ms {
        ms if ms < 1000 => format!("{ms} ms"),
        ms if ms < 60_000 && !ms.is_multiple_of(1000) => seconds(ms),
        ms if ms >= 3_600_000 && ms.is_multiple_of(3_600_000) => format!("{} h", ms / 3_600_000),
        ms if ms >= 60_000 && ms.is_multiple_of(60_000) => format!("{} min", ms / 60_000),
        ms => format!("{} s", ms / 1000),
    }
}

/// A time on a plot's axis spanning `span_ms`: with `fine` (a short span, whose buckets are under a second)
/// seconds as `12.5 s` (`3 s` on whole seconds); else `m:ss` for spans under an hour and `h:mm:ss` for longer
/// ones (so every tick of one axis has the same shape).
pub fn axis_clock(ms: u64, span_ms: u64, fine: bool) -> String {
    if fine {
        let s = ms_to_s(ms);
        if ms.is_multiple_of(1000) {
            format!("{s:.0} s")
        } else {
            format!("{s:.1} s")
        }
    } else if span_ms < 3_600_000 {
        format!("{}:{:02}", ms / 60_000, ms / 1000 % 60)
    } else {
        let s = ms / 1000;
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

/// Every round length a time axis, a bucket or a zoom level steps through, ms, shortest first: 40 ms (one
/// 25-FPS frame) to 1 day. Each use takes a range of it with [`round_steps`]: [`TICK_STEPS_MS`], the report's
/// bucket widths (`analytics::session_view::axis_bucket_ms`) and the review screen's zoom levels.
pub const ROUND_STEPS_MS: [u64; 22] = [
    40, 100, 200, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
    1_800_000, 3_600_000, 7_200_000, 14_400_000, 21_600_000, 86_400_000,
];

/// The steps of [`ROUND_STEPS_MS`] from `from_ms` to `to_ms` (both included, ms) that are not in `skip`, in
/// order. `N` must be their count: evaluated in a `const`, a wrong `N` fails the build.
pub const fn round_steps<const N: usize>(from_ms: u64, to_ms: u64, skip: &[u64]) -> [u64; N] {
    let mut out = [0; N];
    let mut n = 0;
    let mut i = 0;
    while i < ROUND_STEPS_MS.len() {
        let s = ROUND_STEPS_MS[i];
        let mut kept = s >= from_ms && s <= to_ms;
        let mut j = 0;
        while j < skip.len() {
            kept &= skip[j] != s;
            j += 1;
        }
        if kept {
            assert!(n < N, "more round steps in the range than N");
            out[n] = s;
            n += 1;
        }
        i += 1;
    }
    assert!(n == N, "fewer round steps in the range than N");
    out
}

/// Round steps between the ticks of a time axis, ms: [`ROUND_STEPS_MS`] from 100 ms to 4 h, without 250 ms
/// (tick labels of short axes have one decimal, [`seconds`]).
pub const TICK_STEPS_MS: [u64; 18] = round_steps(100, 14_400_000, &[250]);

/// The finest round step between time-axis ticks ([`TICK_STEPS_MS`], ms) that is at least `min_ms` long and a
/// whole multiple of `multiple_of_ms` (the width of an axis column, so that ticks fall on column starts; 1 for
/// any). `None` when no round step is (a span longer than the list was made for): the caller picks its own.
pub fn tick_step_ms(min_ms: u64, multiple_of_ms: u64) -> Option<u64> {
    TICK_STEPS_MS.iter().copied().find(|&s| s >= min_ms && s.is_multiple_of(multiple_of_ms.max(1)))
}

/// Reads a time since session start, as the command line takes it (`annotate --at`, `--from`, `--to`), into ms:
/// seconds (`12`, `12.5`, `12.5s`), milliseconds (`1500ms`), or the clock forms [`clock`] and [`clock_tenths`]
/// write (`1:23`, `1:23.4`, `1:02:03`, `1:02:03.5`; minutes and seconds below 60 after the first field). Spaces
/// around it are ignored; the result is rounded to the nearest ms.
///
/// Errors: anything else (negative, empty, `1:75`, `abc`), as one line saying what a time looks like.
pub fn parse_clock(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let bad = || format!("'{t}' is not a time: give seconds (12.5), m:ss (1:23.4) or h:mm:ss (1:02:03)");
    let number = |s: &str| -> Option<f64> {
        let ok = !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.') && s.matches('.').count() <= 1;
        ok.then(|| s.parse::<f64>().ok()).flatten().filter(|v| v.is_finite())
    };
    let ms = if let Some(ms) = t.strip_suffix("ms") {
        number(ms.trim_end()).ok_or_else(bad)?
    } else if t.contains(':') {
        let fields: Vec<&str> = t.split(':').collect();
        if fields.len() > 3 {
            return Err(bad());
        }
        let (last, whole) = fields.split_last().ok_or_else(bad)?;
        let mut total = 0.0;
        for (i, f) in whole.iter().enumerate() {
            let digits = !f.is_empty() && f.chars().all(|c| c.is_ascii_digit());
            let v: f64 = if digits { f.parse().map_err(|_| bad())? } else { return Err(bad()) };
            if i > 0 && v >= 60.0 {
                return Err(bad());
            }
            total = total * 60.0 + v;
        }
        let secs = number(last).filter(|&s| s < 60.0).ok_or_else(bad)?;
        (total * 60.0 + secs) * 1000.0
    } else {
        number(t.strip_suffix('s').unwrap_or(t).trim_end()).ok_or_else(bad)? * 1000.0
    };
    if ms > u64::MAX as f64 / 2.0 {
        return Err(bad());
    }
    Ok(ms.round() as u64)
}

/// The label of an unnamed face: `Face {id}`.
pub fn face_label(id: u32) -> String {
    format!("Face {id}")
}

/// `s` on one line: every run of white space (line breaks included) made one space, ends trimmed.
pub fn one_line(s: impl std::fmt::Display) -> String {
    s.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_read_as_seconds_milliseconds_or_clocks_and_the_clocks_written_read_back() {
        for (text, ms) in [
            ("12", 12_000),
            (" 12.5 ", 12_500),
            ("12.5s", 12_500),
            ("0.04", 40),
            ("1500ms", 1500),
            ("1:23", 83_000),
            ("1:23.4", 83_400),
            ("0:05", 5000),
            ("1:02:03", 3_723_000),
            ("1:02:03.5", 3_723_500),
            ("90:00", 5_400_000),
        ] {
            assert_eq!(super::parse_clock(text), Ok(ms), "{text}");
        }
        for ms in [0, 100, 83_400, 3_599_900] {
            assert_eq!(super::parse_clock(&super::clock_tenths(ms)), Ok(ms));
        }
        for bad in ["", "-1", "1:75", "1:60:00", "a", "1:2:3:4", ":5", "1.5:00", "1e3", "1..2", "inf", "NaN"] {
            let e = super::parse_clock(bad).unwrap_err();
            assert!(e.contains("is not a time"), "{bad}: {e}");
        }
    }

    use super::*;

    #[test]
    fn the_tick_ladder_is_a_range_of_the_round_steps() {
        // The report's bucket widths and the review's zoom levels are pinned beside their constants.
        let ticks = [
            100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
            1_800_000, 3_600_000, 7_200_000, 14_400_000,
        ];
        assert_eq!(TICK_STEPS_MS, ticks);
        assert!(ROUND_STEPS_MS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn one_human_clock_and_fixed_precision_where_it_matters() {
        assert_eq!(clock(62_400), "1:02");
        assert_eq!(clock(3_725_000), "1:02:05");
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(secs_to_ms(f64::NAN)), "0:00");
        assert_eq!(clock(secs_to_ms(62.4)), "1:02");
        assert_eq!(clock_tenths(62_480), "1:02.4");
        assert_eq!(clock_tenths(3_725_900), "1:02:05");
        assert_eq!(seconds(4_730), "4.7 s");
        assert_eq!(step(40), "40 ms");
        assert_eq!(step(2_000), "2 s");
        assert_eq!(step(300_000), "5 min");
        assert_eq!(step(90_000), "90 s");
        assert_eq!(step(1_500), "1.5 s");
        assert_eq!(step(7_200_000), "2 h");
        assert_eq!(axis_clock(2_500, 10_000, true), "2.5 s");
        assert_eq!(axis_clock(3_000, 10_000, true), "3 s");
        assert_eq!(axis_clock(65_000, 600_000, false), "1:05");
        assert_eq!(axis_clock(3_725_000, 7_200_000, false), "1:02:05");
        assert_eq!(axis_clock(300_000, 7_200_000, false), "0:05:00");
        assert_eq!(face_label(3), "Face 3");
        assert_eq!(tick_step_ms(0, 1), Some(100));
        assert_eq!(tick_step_ms(4_000, 1), Some(5_000));
        assert_eq!(tick_step_ms(4_000, 3_000), Some(15_000));
        assert_eq!(tick_step_ms(20_000_000, 1), None);
        assert_eq!(one_line("a\n  b\tc "), "a b c");
    }
}
