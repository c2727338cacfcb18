//! The front end for other programs: a running session opened over HTTP (`live --listen ADDR`: events out as
//! Server-Sent Events, markers in, the session's figures; [`server`] and its [`events`]), and a stored session as
//! xAPI statements for a Learning Record Store ([`xapi`]). Like the screen, a client of the engine and the store;
//! the engine never uses it.

pub mod events;
pub mod server;
pub mod xapi;
