//! (being written)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptionLength {
    None,
    Short,
    Medium,
    Long,
}
impl std::str::FromStr for CaptionLength {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Self::None),
            "short" => Ok(Self::Short),
            "medium" => Ok(Self::Medium),
            "long" => Ok(Self::Long),
            _ => Err(s.into()),
        }
    }
}
