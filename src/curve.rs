//! The one easing curve the stages share.

/// 0 at or below `edge0`, 1 at or above `edge1`, and between them a smooth S (the cubic
/// smoothstep) whose slope is zero at both ends, so a ramp built from it shows no crease.
pub(crate) fn smoothstep(edge0: f32, edge1: f32, x: f32) -> f32 {
    let t = ((x - edge0) / (edge1 - edge0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothstep_holds_its_ends_and_is_symmetric_about_the_middle() {
        assert_eq!(smoothstep(2.0, 4.0, 1.0), 0.0);
        assert_eq!(smoothstep(2.0, 4.0, 5.0), 1.0);
        assert_eq!(smoothstep(2.0, 4.0, 3.0), 0.5);
        let (a, b) = (smoothstep(0.0, 1.0, 0.2), smoothstep(0.0, 1.0, 0.8));
        assert!((a + b - 1.0).abs() < 1e-6, "{a} + {b}");
    }
}
