//! Links Debian's libhyperscan (`apt-get install libhyperscan-dev`).
fn main() {
    println!("cargo:rustc-link-lib=hs");
}
