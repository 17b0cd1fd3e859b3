//! Placeholder until the colour grade lands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grade;
impl Grade {
    pub fn apply(&self, _img: &mut image::RgbaImage) {}
}
