//! Time in a video track: composition times from the sample tables, the edit list, the presentation time in ms
//! of each picture the decoder outputs, the nominal frame rate, and the sync samples a seek may restart at.

use re_mp4::{Mp4, StblBox, Track, TrakBox};

/// The samples (decode order) decoding may start at when seeking: sync samples (key frames) that every earlier
/// sample is presented before and every later one after (a closed group of pictures), so that the decoder's
/// outputs from there are pictures `s, s + 1, ...` in presentation order. Sample 0 is always one.
pub(super) fn seek_points(samples: &[re_mp4::Sample], cts: &[i64]) -> Vec<usize> {
    let n = cts.len().min(samples.len());
    let mut min_after = vec![i64::MAX; n + 1];
    for i in (0..n).rev() {
        min_after[i] = min_after[i + 1].min(cts[i]);
    }
    let mut points = vec![0];
    let mut max_before = i64::MIN;
    for i in 0..n {
        if i > 0 && samples[i].is_sync && max_before < min_after[i] {
            points.push(i);
        }
        max_before = max_before.max(cts[i]);
    }
    points
}

/// Presentation times for the samples of a track.
///
/// `cts` are the raw composition times of the samples (media timescale, before any normalisation), `edits`
/// the edit list as `(segment_duration in movie timescale, media_time in media timescale or None when empty,
/// media_rate)`. Returns, for each sample in presentation (composition) order, its presentation time in media
/// units, or `None` when the edit list leaves it out. Without edits, times start at the smallest composition
/// time. Empty edits (a leading delay) are ignored, so the first presented frame is at 0.
fn presentation_times(
    cts: &[i64],
    edits: &[(u64, Option<i64>, i32)],
    media_timescale: u64,
    movie_timescale: u64,
) -> Vec<Option<i64>> {
    let mut sorted: Vec<i64> = cts.to_vec();
    sorted.sort_unstable();
    // (media start, media end exclusive, presentation offset), media units.
    let mut ranges: Vec<(i64, i64, i64)> = Vec::new();
    let mut presented_at = 0i64;
    for &(segment, media_time, rate) in edits {
        let Some(start) = media_time else { continue };
        let duration = if segment == 0 || movie_timescale == 0 {
            i64::MAX / 4
        } else {
            let d = (u128::from(segment) * u128::from(media_timescale) / u128::from(movie_timescale)) as i64;
            d.clamp(0, i64::MAX / 4)
        };
        if rate == 1 {
            ranges.push((start, start.saturating_add(duration), presented_at));
        }
        presented_at = presented_at.saturating_add(duration);
    }
    if ranges.is_empty() {
        let first = sorted.first().copied().unwrap_or(0);
        return sorted.iter().map(|&t| Some(t.saturating_sub(first))).collect();
    }
    // Like FFmpeg, times within an edit count from the first sample presented in it (an edit may start part-way
    // into a frame's duration; that frame is left out and the next one is at the edit's start).
    let firsts: Vec<i64> =
        ranges.iter().map(|&(s, e, _)| sorted.iter().copied().find(|&t| t >= s && t < e).unwrap_or(s)).collect();
    sorted
        .iter()
        .map(|&t| {
            ranges
                .iter()
                .zip(&firsts)
                .find(|(&(s, e, _), _)| t >= s && t < e)
                .map(|(&(_, _, off), &first)| off.saturating_add(t.saturating_sub(first)))
        })
        .collect()
}

/// Raw composition times of the track's samples in media units, in decode order. `re_mp4` shifts composition
/// times so that the smallest is 0; this undoes that, since the edit list's media times are in the raw timeline.
pub(super) fn raw_composition_times(stbl: &StblBox, track: &Track) -> Vec<i64> {
    let dts_shift = stbl
        .ctts
        .as_ref()
        .map(|c| c.entries.iter().map(|e| -i64::from(e.sample_offset)).max().unwrap_or(0).max(0))
        .unwrap_or(0);
    let min_cts = track.samples[0].decode_timestamp.saturating_neg().saturating_sub(dts_shift);
    track.samples.iter().map(|s| s.composition_timestamp.saturating_add(min_cts)).collect()
}

/// The track's edit list in the form [`presentation_times`] takes: `(segment_duration in movie timescale,
/// media_time in media timescale or None for an empty edit, media_rate)`. Empty when the track has none.
fn edit_list(trak: &TrakBox) -> Vec<(u64, Option<i64>, i32)> {
    trak.edts
        .as_ref()
        .and_then(|e| e.elst.as_ref())
        .map(|elst| {
            elst.entries
                .iter()
                .map(|e| {
                    let empty =
                        if elst.version == 1 { e.media_time == u64::MAX } else { e.media_time == u64::from(u32::MAX) };
                    let media_time = (!empty).then_some(e.media_time as i64);
                    (e.segment_duration, media_time, i32::from(e.media_rate))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// For each picture the decoder will output (presentation order): its presentation time in ms (rounded), or
/// `None` when the edit list leaves it out. `track.timescale` must be non-zero.
pub(super) fn output_times_ms(mp4: &Mp4, trak: &TrakBox, track: &Track) -> Vec<Option<u64>> {
    let media_timescale = track.timescale;
    let movie_timescale = u64::from(mp4.moov.mvhd.timescale);
    let cts = raw_composition_times(&trak.mdia.minf.stbl, track);
    let pts = presentation_times(&cts, &edit_list(trak), media_timescale, movie_timescale);
    pts.iter()
        .map(|p| {
            p.map(|t| {
                ((i128::from(t.max(0)) * 1000 + i128::from(media_timescale / 2)) / i128::from(media_timescale)) as u64
            })
        })
        .collect()
}

/// Nominal frame rate in frames per second: the media timescale over the most common sample duration; `None`
/// when the time-to-sample table has no non-zero duration.
pub(super) fn nominal_fps(stbl: &StblBox, media_timescale: u64) -> Option<f64> {
    stbl.stts
        .entries
        .iter()
        .filter(|e| e.sample_delta > 0)
        .max_by_key(|e| e.sample_count)
        .map(|e| media_timescale as f64 / f64::from(e.sample_delta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presentation_without_edits_starts_at_zero() {
        // B-frame order: raw composition times start at 2 frames.
        let pts = presentation_times(&[2, 6, 3, 4, 5], &[], 1, 1);
        assert_eq!(pts, vec![Some(0), Some(1), Some(2), Some(3), Some(4)]);
    }

    #[test]
    fn edit_list_drops_samples_outside_the_edit() {
        // Media timescale 10, movie timescale 1: one edit starting at media time 20, lasting 3 s (30 units).
        let cts: Vec<i64> = (0..6).map(|i| i * 10).collect();
        let pts = presentation_times(&cts, &[(3, Some(20), 1)], 10, 1);
        assert_eq!(pts, vec![None, None, Some(0), Some(10), Some(20), None]);
        // An edit starting part-way into a frame: that frame is left out, the next one is at 0.
        let pts = presentation_times(&cts, &[(3, Some(15), 1)], 10, 1);
        assert_eq!(pts, vec![None, None, Some(0), Some(10), Some(20), None]);
        // A leading empty edit is ignored.
        let pts = presentation_times(&cts, &[(5, None, 1), (3, Some(20), 1)], 10, 1);
        assert_eq!(pts, vec![None, None, Some(0), Some(10), Some(20), None]);
    }
}
