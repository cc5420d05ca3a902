//! `shortfall`: a Monte Carlo simulator of disruption risk to the Pakistan-US
//! critical-minerals programme (the September 2025 memorandum between Pakistan's
//! Frontier Works Organisation and US Strategic Metals).
//!
//! The crate follows the model's steps: a [`scenario`] file is validated into a typed
//! [`model::Model`]; the [`engine`] runs trials in parallel, each drawing its uncertain
//! parameters, its [`hazards`] events, and the flow of goods with and without
//! disruptions; [`stats`] aggregates them and [`report`] writes the files.
#![deny(missing_docs)]

pub mod calibrate;
pub mod cli;
pub mod engine;
pub mod error;
pub mod hazards;
pub mod model;
pub mod report;
pub mod scenario;
pub mod stats;

pub use error::{Error, Result};
