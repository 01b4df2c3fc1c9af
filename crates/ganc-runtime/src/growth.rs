//! Progressive growing (Karras et al. 2017): where training stands (how many stages run, and
//! the newest stage's blend weight alpha), as a function of the step alone, so that a run
//! resumed from a checkpoint (which keeps the step) continues mid-fade exactly; and the real
//! images brought to the current resolution.

use crate::layers::{AvgPool, Ctx, Differentiable, Upsample};
use crate::value::Value;

/// How far the networks have grown.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Growth {
    /// The newest stage that runs, counted from the lowest resolution (0); beyond the last
    /// stage means all of them.
    pub stage: usize,
    /// The newest stage's weight against the previous stage's upsampled output (G) or
    /// downsampled input (D): rises from 0 to 1 while the stage fades in.
    pub alpha: f64,
}

impl Growth {
    /// Every stage, fully faded in: networks without a schedule, and sampling a grown run.
    pub const FULL: Growth = Growth { stage: usize::MAX, alpha: 1.0 };

    /// Whether a stage below this one still shows through (alpha below 1, beyond the first).
    pub fn fading(&self, stages: usize) -> bool {
        self.alpha < 1.0 && self.stage.min(stages.saturating_sub(1)) > 0
    }
}

impl Default for Growth {
    fn default() -> Self {
        Growth::FULL
    }
}

/// The `progressive(fade, hold)` schedule over the stages' resolutions.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Schedule {
    /// Steps over which a new stage's alpha rises from 0 to 1.
    pub fade: u64,
    /// Steps a stage then trains alone (the first stage trains `hold` steps before the second
    /// fades in).
    pub hold: u64,
    /// The generator's stage resolutions, lowest first.
    pub resolutions: Vec<usize>,
}

impl Schedule {
    /// Where training stands at `step` (0-based): the first stage for `hold` steps, then each
    /// next stage fading in over `fade` steps (alpha = steps into the fade / `fade`) and held
    /// `hold` steps; after the last stage's hold, everything at alpha 1.
    pub fn at(&self, step: u64) -> Growth {
        let last = self.resolutions.len().saturating_sub(1);
        if step < self.hold || last == 0 {
            return Growth { stage: 0, alpha: 1.0 };
        }
        let period = self.fade + self.hold;
        let stage = 1 + (step - self.hold) / period;
        if stage > last as u64 {
            return Growth { stage: last, alpha: 1.0 };
        }
        let into = (step - self.hold) % period;
        let alpha = if into < self.fade { into as f64 / self.fade as f64 } else { 1.0 };
        Growth { stage: stage as usize, alpha }
    }

    /// Where training stood in the last of `done` steps (the first step's before any): what
    /// a checkpoint or a sample grid after `done` steps shows.
    pub fn after(&self, done: u64) -> Growth {
        self.at(done.saturating_sub(1))
    }

    /// The side of the images at `growth`.
    pub fn resolution(&self, growth: Growth) -> usize {
        self.resolutions[growth.stage.min(self.resolutions.len() - 1)]
    }

    /// Real images (at the data's resolution) as D sees them at `growth`: average-pooled to the
    /// stage's resolution and, while the stage fades in, blended with the previous
    /// resolution's pooling upsampled: `(1 - alpha) * up(pool(x)) + alpha * x` (the paper).
    pub fn real(&self, x: Value, growth: Growth) -> Value {
        let full = *self.resolutions.last().expect("a schedule has stages");
        let r = self.resolution(growth);
        let ctx = Ctx { step: 0, training: false, growth };
        let x = if r < full { AvgPool(full / r).forward(x, None, &ctx) } else { x };
        if !growth.fading(self.resolutions.len()) {
            return x;
        }
        let low = AvgPool(2).forward(x.clone(), None, &ctx);
        let up = Upsample { scale: 2, bilinear: false }.forward(low, None, &ctx);
        blend(up, x, growth.alpha)
    }

    /// Images of the stage's resolution brought up to the data's, by repeating pixels (for
    /// sample grids of the same size at every stage).
    pub fn to_full(&self, x: Value, growth: Growth) -> Value {
        let full = *self.resolutions.last().expect("a schedule has stages");
        let r = self.resolution(growth);
        if r == full {
            return x;
        }
        let ctx = Ctx { step: 0, training: false, growth };
        Upsample { scale: full / r, bilinear: false }.forward(x, None, &ctx)
    }
}

/// `(1 - alpha) * old + alpha * new`.
pub fn blend(old: Value, new: Value, alpha: f64) -> Value {
    old.map(|t| t * (1.0 - alpha), |t| t * (1.0 - alpha)) + new.map(|t| t * alpha, |t| t * alpha)
}
