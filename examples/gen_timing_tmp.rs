fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args[1].parse().unwrap();
    let out = std::path::PathBuf::from(&args[2]);
    let t = std::time::Instant::now();
    let s = dualdraw::gen::generate(&dualdraw::gen::GenParams::scaled(n, 1), &out).unwrap();
    eprintln!("{:?} in {:?}", s, t.elapsed());
}
