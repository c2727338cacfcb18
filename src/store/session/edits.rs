//! Edits outside recording: the markers, notes, track names and merges a reviewer makes on a
//! [`StoredSession`], each written and flushed to disk before the call returns, so an edit survives a crash. A
//! session read from a copy of a read-only store refuses them ([`StoreError::ReadOnly`]).

#[cfg(doc)]
use super::SessionWriter;
use super::{db_error, store_record, StoredSession};
use crate::store::error::{Result, StoreError};
use crate::store::record::{Annotation, AnnotationKind, SessionRecord, TrackRecord};
use crate::store::trees;
use crate::text::clean_label;

/// Stores a new annotation and flushes it, and counts it in `record` (which the caller then saves its own way).
/// The one way an annotation enters a session, while recording ([`SessionWriter::annotate`]) or in review
/// ([`StoredSession::annotate`]).
pub(super) fn annotate(
    db: &sled::Db,
    record: &mut SessionRecord,
    kind: AnnotationKind,
    start_ms: u64,
    end_ms: Option<u64>,
    label: &str,
    track_id: Option<u32>,
) -> anyhow::Result<Annotation> {
    ensure_in_order(start_ms, end_ms)?;
    let tree = db.open_tree(trees::ANNOTATIONS)?;
    let a = Annotation {
        id: db.generate_id()?,
        kind,
        start_ms,
        end_ms,
        label: clean_label(label),
        track_id,
        created_at: chrono::Local::now().into(),
    };
    tree.insert(a.id.to_be_bytes(), serde_json::to_vec(&a)?)?;
    tree.flush()?;
    record.annotations = tree.len() as u32;
    Ok(a)
}

/// [`StoreError::Refused`] for an annotation ending before it starts.
fn ensure_in_order(start_ms: u64, end_ms: Option<u64>) -> Result<()> {
    if end_ms.is_some_and(|e| e < start_ms) {
        return Err(StoreError::refused("an annotation cannot end before it starts"));
    }
    Ok(())
}

impl StoredSession {
    /// Runs an edit: refused with [`StoreError::ReadOnly`] when the session was read from a copy of a read-only
    /// store; a failure becomes the session's [`StoreError`].
    fn edit<T>(&mut self, edit: impl FnOnce(&mut Self) -> anyhow::Result<T>) -> Result<T> {
        if self.copy.is_some() {
            return Err(StoreError::ReadOnly { dir: self.dir.clone() });
        }
        let r = edit(self);
        r.map_err(|e| db_error(&self.dir, e))
    }

    /// Rewrites the session record (inside the database and `session.json`) after an edit, and flushes.
    pub(super) fn save_record(&mut self) -> anyhow::Result<()> {
        // A running session cannot be open here, so the file is ours to rewrite; keep "interrupted" as it is
        // reported rather than the stale "running" of a killed recorder.
        store_record(&self.db, &self.dir, &self.record)?;
        self.db.flush()?;
        Ok(())
    }

    /// Adds a marker or a note (`end_ms` for a range), stored and flushed at once.
    ///
    /// Errors: `end_ms` before `start_ms` ([`StoreError::Refused`]); a read-only store
    /// ([`StoreError::ReadOnly`]); the database cannot be written.
    pub fn annotate(
        &mut self,
        kind: AnnotationKind,
        start_ms: u64,
        end_ms: Option<u64>,
        label: &str,
        track_id: Option<u32>,
    ) -> Result<Annotation> {
        self.edit(|s| {
            let a = annotate(&s.db, &mut s.record, kind, start_ms, end_ms, label, track_id)?;
            s.save_record()?;
            Ok(a)
        })
    }

    /// Replaces a stored annotation (same id) with `a`: new text, times or track.
    ///
    /// Errors: no annotation with that id ([`StoreError::NotFound`]); `end_ms` before `start_ms`
    /// ([`StoreError::Refused`]); a read-only store; the database cannot be written.
    pub fn update_annotation(&mut self, a: &Annotation) -> Result<()> {
        self.edit(|s| {
            ensure_in_order(a.start_ms, a.end_ms)?;
            let tree = s.db.open_tree(trees::ANNOTATIONS)?;
            if !tree.contains_key(a.id.to_be_bytes())? {
                return Err(s.not_found(format!("annotation {}", a.id)).into());
            }
            let a = Annotation { label: clean_label(&a.label), ..a.clone() };
            tree.insert(a.id.to_be_bytes(), serde_json::to_vec(&a)?)?;
            tree.flush()?;
            Ok(())
        })
    }

    /// Deletes an annotation.
    ///
    /// Errors: no annotation with that id ([`StoreError::NotFound`]); a read-only store; the database cannot be
    /// written.
    pub fn delete_annotation(&mut self, id: u64) -> Result<()> {
        self.edit(|s| {
            let tree = s.db.open_tree(trees::ANNOTATIONS)?;
            if tree.remove(id.to_be_bytes())?.is_none() {
                return Err(s.not_found(format!("annotation {id}")).into());
            }
            s.record.annotations = tree.len() as u32;
            s.save_record()
        })
    }

    /// [`StoreError::NotFound`] for `what` ("annotation 4") in this session.
    fn not_found(&self, what: String) -> StoreError {
        StoreError::NotFound { what, place: format!("session {}", self.record.id) }
    }

    fn track(&self, id: u32) -> anyhow::Result<TrackRecord> {
        let v = self.db.open_tree(trees::TRACKS)?.get(id.to_be_bytes())?;
        let v = v.ok_or_else(|| self.not_found(format!("track {id}")))?;
        Ok(serde_json::from_slice(&v)?)
    }

    fn put_track(&self, t: &TrackRecord) -> anyhow::Result<()> {
        let tree = self.db.open_tree(trees::TRACKS)?;
        tree.insert(t.id.to_be_bytes(), serde_json::to_vec(t)?)?;
        tree.flush()?;
        Ok(())
    }

    /// Names a track ("Face 3" to "P07"); an empty name clears it.
    ///
    /// Errors: no such track ([`StoreError::NotFound`]); a read-only store; the database cannot be written.
    pub fn name_track(&mut self, track_id: u32, name: &str) -> Result<()> {
        self.edit(|s| {
            let mut t = s.track(track_id)?;
            let name = clean_label(name);
            t.name = (!name.is_empty()).then_some(name);
            s.put_track(&t)
        })
    }

    /// Merges track `from` into track `into` (the same person, who left and came back): from now on `from`'s
    /// observations count as `into`'s in the timeline, summaries and exports. Undo with [`Self::unmerge_track`].
    ///
    /// Errors: either track missing ([`StoreError::NotFound`]); either already merged, or the two were seen at
    /// the same time (they are two people) ([`StoreError::Refused`]); a read-only store; the database cannot be
    /// written.
    pub fn merge_tracks(&mut self, from: u32, into: u32) -> Result<()> {
        self.edit(|s| {
            if from == into {
                return Err(StoreError::refused("a track cannot be merged into itself").into());
            }
            let mut a = s.track(from)?;
            let b = s.track(into)?;
            for t in [&a, &b] {
                if t.merged_into.is_some() {
                    return Err(
                        StoreError::refused(format!("{} is already merged into another track", t.label())).into()
                    );
                }
            }
            // Every track already merged into either side counts too.
            let tracks = s.tracks()?;
            let merges = s.merges()?;
            let span = |root: u32| -> Vec<(u64, u64)> {
                tracks
                    .iter()
                    .filter(|t| t.id == root || merges.get(&t.id) == Some(&root))
                    .map(|t| (t.first_ms, t.last_ms))
                    .collect()
            };
            for (a0, a1) in span(from) {
                for (b0, b1) in span(into) {
                    if !(a1 < b0 || b1 < a0) {
                        let reason = format!(
                            "{} and {} were seen at the same time, so they are two people",
                            a.label(),
                            b.label()
                        );
                        return Err(StoreError::refused(reason).into());
                    }
                }
            }
            a.merged_into = Some(into);
            a.auto_merge_distance = None;
            // Tracks merged into `from` now count as `into` through the chain.
            s.put_track(&a)?;
            s.recount_merges()
        })
    }

    /// Undoes [`Self::merge_tracks`] for track `id`.
    ///
    /// Errors: no such track ([`StoreError::NotFound`]), or it is not merged ([`StoreError::Refused`]); a
    /// read-only store; the database cannot be written.
    pub fn unmerge_track(&mut self, id: u32) -> Result<()> {
        self.edit(|s| {
            let mut t = s.track(id)?;
            if t.merged_into.is_none() {
                return Err(StoreError::refused(format!("{} is not merged into another track", t.label())).into());
            }
            t.merged_into = None;
            t.auto_merge_distance = None;
            s.put_track(&t)?;
            s.recount_merges()
        })
    }

    /// Stores the number of merged tracks in the session record.
    fn recount_merges(&mut self) -> anyhow::Result<()> {
        self.record.merged_tracks = self.tracks()?.iter().filter(|t| t.merged_into.is_some()).count() as u32;
        self.save_record()
    }
}
