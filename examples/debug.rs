fn main() {
    let c = shortfall::engine::Compiled::new(shortfall::scenario::baseline());
    let o = c.trial(20250908, 0);
    let nc = c.model.commodities.len();
    for (y, year) in c.model.years.iter().enumerate() {
        println!("{year}: del {:?}\n      cf {:?}", &o.delivered_yearly[y*nc..(y+1)*nc], &o.counterfactual_yearly[y*nc..(y+1)*nc]);
    }
    for (p, v) in c.model.params.iter().zip(&o.params) { println!("{} = {}", p.path, v); }
}
