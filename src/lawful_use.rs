//! Where emotrace may be used, said once for every place that says it: the manual page (LAWFUL USE), the HTML
//! report and compare page, and the live screen's first run. The README's "Lawful use" section says the same in
//! more words.
//!
//! Source: Regulation (EU) 2024/1689 (the AI Act), as published in the Official Journal of 12 July 2024: Article
//! 5(1)(f) (the prohibition), Article 113(a) (Chapters I and II apply from 2 February 2025), Article 2(6) and 2(8)
//! (scientific research and development), Article 3(39) (emotion recognition system), Article 50(3) (informing
//! the people exposed) and Annex III, point 1(c) (high-risk where not prohibited). This is what the articles say,
//! not legal advice.

/// The rule in one line, for places with room for one (the live screen's first-run notice, the report's footer).
pub const ONE_LINE: &str = "EU AI Act, Art. 5(1)(f): inferring emotions in schools and workplaces is prohibited \
     (except for medical or safety reasons) since 2 Feb 2025; use emotrace for research with consent or \
     self-review, never to grade or single out a person.";

/// The live screen's notice on a store's first session: short enough for the status line of an 80-column
/// terminal, pointing to the help (`?`), which shows [`ONE_LINE`].
pub const FIRST_RUN: &str = "EU AI Act Art. 5(1)(f): emotion inference banned at school/work; ? for more";

/// The rule in paragraphs of plain text (no markup), for the manual page and the report.
pub const PARAGRAPHS: &[&str] = &[
    "The EU AI Act (Regulation (EU) 2024/1689) prohibits placing on the market, putting into service for this \
     purpose, or using AI systems that infer the emotions of natural persons in the areas of workplace and \
     education institutions, except where the system is intended for medical or safety reasons (Article \
     5(1)(f)). The prohibition applies since 2 February 2025 (Article 113(a)). emotrace infers emotions from faces: \
     in the EU, running it on a class or on staff falls under that prohibition.",
    "The Regulation does not apply to AI systems and their output developed and put into service for the sole \
     purpose of scientific research and development (Article 2(6)), nor to research, testing or development \
     before a system is placed on the market or put into service, testing in real-world conditions excepted \
     (Article 2(8)). Where emotion recognition is \
     allowed, it is high-risk (Annex III, point 1(c)) and the people exposed to it must be informed that it \
     operates (Article 50(3)).",
    "Where it may be used: scientific research with the informed consent of the people recorded (and the ethics \
     approval research needs); reviewing a recording of yourself; settings outside the Regulation's scope. \
     Consent matters everywhere, inside the EU and outside it: tell people before you record them and let them \
     decline.",
    "What emotrace deliberately does not do: it stores no frames and no face descriptors, identifies no one (face \
     ids are per session and names are typed by a person), and offers class-level views for teachers. Its \
     figures are estimates from faces, not measures of feeling, attention or learning: never use them to grade, \
     diagnose or single out a person. This is what the articles say, not legal advice.",
];
