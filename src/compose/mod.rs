pub mod grade;
