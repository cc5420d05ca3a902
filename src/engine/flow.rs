//! The daily flow of goods through the network: production, loading onto routes,
//! transit, processing and shipping, with inventories.
//!
//! Time runs in whole days. Within a day the order is: arrivals of cargo whose transit
//! is complete, production at mines, processing at plants (no more than the output
//! store and today's outbound capacity can take), loading onto routes (in priority
//! order; a standby route carries only the capacity its site's primary routes lost that
//! day), shipping from ports (delivery). A route whose capacity is cut to zero freezes:
//! its cargo waits in transit. What a mine or plant can neither ship nor keep in its
//! store is lost; a route does not load beyond the room in its destination's store (at
//! a port, the room left after the day's shipping, plus what the port ships on a day).
//!
//! Between days on which an input changes (a disruption starts or ends, a site comes
//! online or ramps up), the state often settles: when a day leaves every store and
//! every pipeline as it found it, the days up to the next change are exact repeats and
//! are accounted in one step (sums as `k * x` instead of `k` additions). Often, too,
//! the stores move in a straight line (a store fills while its road is cut, or drains
//! once it reopens): every day makes the same flows and changes each store by the same
//! amount. Such a stretch is checked with a probe of its last day (see `Trace` for
//! why that suffices) and accounted in one step. Both are tested against stepping
//! every day.
//!
//! Most changes touch one corner of the network, so the network is cut at its ports
//! and stockpiles into parts that are stepped one after the other, upstream first
//! (see [`Flow::run`]): a mine and its roads step only on the days their own inputs
//! change. A part hands what its roads deliver to another part over as runs of daily
//! arrivals, and the part at the far end reads them and checks every day that its
//! stores had room for whatever a road could have loaded towards them; the one
//! exchange between parts within a day is that room. If a store ever had too little,
//! the run is done again on the whole network. Ports whose stores are empty and that
//! can ship at least all their roads could bring (with room to spare) ship the arrivals
//! as they come, run by run.

use crate::model::{Model, SiteKind};

/// Capacity, stores and transit of one trial (drawn values applied).
#[derive(Debug, Default, Clone)]
pub struct Net {
    /// Capacity per day of each site (per producing unit for prospect-fed mines).
    pub site_cap: Vec<f64>,
    /// Ramp-up days of each site.
    pub site_ramp: Vec<f64>,
    /// Yield of each plant, in site order.
    pub plant_yield: Vec<f64>,
    /// Largest inventory of each stock.
    pub stock_max: Vec<f64>,
    /// Inventory of each stock on day 0.
    pub stock_init: Vec<f64>,
    /// Capacity per day of each route.
    pub route_cap: Vec<f64>,
    /// Transit days of each route (at least 1).
    pub route_transit: Vec<usize>,
    /// Value per unit of each commodity.
    pub value: Vec<f64>,
}

/// The network's shape in compact form, built once per model, so that the daily step
/// walks small arrays of indices instead of the model's structs.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    /// (site, stock) of each mine.
    mines: Vec<(usize, usize)>,
    /// (site, input stock, output stock) of each plant.
    plants: Vec<(usize, usize, usize)>,
    /// Sites that load onto routes.
    loaders: Vec<Loader>,
    /// (site, first, end) of each port into `port_stocks`.
    pub ports: Vec<(usize, usize, usize)>,
    /// Stocks of the ports, port by port.
    port_stocks: Vec<usize>,
    /// Commodity of each stock.
    stock_commodity: Vec<usize>,
    /// Destination stock of each route.
    route_to: Vec<usize>,
    /// Commodity of each route.
    route_commodity: Vec<usize>,
    /// Whether each route is a standby route.
    route_standby: Vec<bool>,
    /// Routes whose capacity matters to the day only when it limits their own load:
    /// not a primary route of a site that also has standby routes (what the primaries
    /// lose, the standby routes may carry), nor a route out of a plant (whose room to
    /// process counts its roads' capacity; a precaution: no case is known where a
    /// capacity that does not limit the load changes the processing).
    route_plain: Vec<bool>,
    /// The loader of each plant (index into `loaders`).
    plant_loader: Vec<Option<usize>>,
    n_sites: usize,
    /// The whole network as one part.
    whole: Part,
    /// The network cut at its ports and stockpiles: groups of sites joined by the routes
    /// that do not end at a port or a stockpile, upstream groups first. Empty when the
    /// network cannot be cut so (a route leaves a port, or the groups feed each other in
    /// a circle).
    parts: Vec<Part>,
    /// Whether each route joins two parts (it ends at a port or stockpile of another).
    route_cut: Vec<bool>,
    /// The part of `parts` that sets each target's capacity.
    target_part: Vec<usize>,
    /// The day after the last of each month period.
    period_end: Vec<usize>,
    /// The port a route ends at (index into `ports`), if any.
    route_port_index: Vec<Option<usize>>,
    /// Whether each route shares its destination's room with other routes (another
    /// route ends at the same store, or at another store of the same port).
    route_shared: Vec<bool>,
}

/// A part of the network that the flow steps on its own: the sites, routes and ports
/// it moves, and the targets whose capacities it sets.
#[derive(Debug, Clone, Default)]
struct Part {
    /// Mines (indices into `Topology::mines`), plants and loaders likewise.
    mines: Vec<usize>,
    plants: Vec<usize>,
    loaders: Vec<usize>,
    /// Routes whose pipelines this part moves (those that leave its sites).
    routes: Vec<usize>,
    /// Ports that ship (indices into `Topology::ports`).
    ports: Vec<usize>,
    /// Targets whose capacities this part sets, in order.
    targets: Vec<usize>,
    /// The stores of its sites.
    stocks: Vec<usize>,
    /// Whether each target is one of `targets`.
    own: Vec<bool>,
    /// A part of the cut network: its routes to other parts hand their arrivals over
    /// (as runs) instead of adding them to the store at the far end, and find unlimited
    /// room there; the part at the far end reads them, and checks the room.
    split: bool,
    /// Routes from other parts into this one's sites, whose arrivals it reads.
    feeds: Vec<usize>,
    /// Routes of this part into other parts' sites.
    handoff: Vec<usize>,
    /// Routes it moves, not into other parts, that share their destination's room
    /// (`Topology::route_shared`): those whose loads it counts (`Flow::loaded_to`).
    shared: Vec<usize>,
    /// Every route whose arrivals reach this part (`true` for a feed) or that it moves,
    /// in route order (the order in which arrivals are added to the stores).
    inflow: Vec<(usize, bool)>,
    /// Stores fed by `feeds`: (stock, its site, the port it is a store of, if any, as an
    /// index into `Topology::ports`).
    fed_stocks: Vec<(usize, usize, Option<usize>)>,
    /// Ports and nothing else, fed by other parts: while its stores are empty and its
    /// ports can ship at least all their roads could bring, it ships what arrives (see
    /// `Flow::ships_arrivals`).
    ports_only: bool,
    /// One mine and its roads, all into other parts, and nothing else: stepped by
    /// `Flow::run_mine`.
    mine_only: bool,
}

#[derive(Debug, Clone)]
struct Loader {
    site: usize,
    stock: usize,
    stockpile: bool,
    /// A production site (mine or plant): what cannot leave beyond its store is lost.
    clamp: bool,
    routes: Vec<usize>,
    any_standby: bool,
}

impl Topology {
    /// The compact form of a model's network.
    pub fn new(model: &Model) -> Topology {
        let mut t = Topology {
            n_sites: model.sites.len(),
            ..Default::default()
        };
        for (s, site) in model.sites.iter().enumerate() {
            match (site.kind, site.in_stock, site.out_stock) {
                (SiteKind::Mine, _, Some(k)) => t.mines.push((s, k)),
                (SiteKind::Plant, Some(i), Some(o)) => t.plants.push((s, i, o)),
                (SiteKind::Port, _, _) => {
                    let first = t.port_stocks.len();
                    t.port_stocks.extend(&site.port_stocks);
                    t.ports.push((s, first, t.port_stocks.len()));
                }
                _ => {}
            }
            if let (Some(k), false) = (site.out_stock, site.out_routes.is_empty()) {
                t.loaders.push(Loader {
                    site: s,
                    stock: k,
                    stockpile: site.kind == SiteKind::Stockpile,
                    clamp: matches!(site.kind, SiteKind::Mine | SiteKind::Plant),
                    routes: site.out_routes.clone(),
                    any_standby: site.out_routes.iter().any(|&r| model.routes[r].standby),
                });
            }
        }
        t.stock_commodity = model.stocks.iter().map(|k| k.commodity).collect();
        t.route_to = model.routes.iter().map(|r| r.to_stock).collect();
        t.route_commodity = model.routes.iter().map(|r| r.commodity).collect();
        t.route_standby = model.routes.iter().map(|r| r.standby).collect();
        t.route_port_index = (model.routes.iter())
            .map(|r| t.ports.iter().position(|x| x.0 == r.to))
            .collect();
        t.plant_loader = t
            .plants
            .iter()
            .map(|&(s, _, _)| t.loaders.iter().position(|l| l.site == s))
            .collect();
        t.route_plain = (model.routes.iter())
            .map(|r| {
                let from = &model.sites[r.from];
                let guards_standby =
                    !r.standby && from.out_routes.iter().any(|&x| model.routes[x].standby);
                !guards_standby && from.kind != SiteKind::Plant
            })
            .collect();
        t.route_shared = (0..model.routes.len())
            .map(|r| {
                let others = (0..model.routes.len()).filter(|&x| x != r);
                let port = |x: usize| t.route_port_index[x];
                others
                    .map(|x| (t.route_to[x], port(x)))
                    .any(|(k, j)| k == t.route_to[r] || (j.is_some() && j == port(r)))
            })
            .collect();
        t.parts = t.cut(model);
        let all: Vec<usize> = (0..model.sites.len()).collect();
        t.whole = t.part(model, &all, false);
        t.period_end = vec![0; model.months.len()];
        for (d, &p) in model.day_period.iter().enumerate() {
            t.period_end[p as usize] = d + 1;
        }
        t.target_part = (0..model.n_targets())
            .map(|x| t.parts.iter().position(|p| p.own[x]).unwrap_or(0))
            .collect();
        t
    }

    /// The part made of `sites`, the routes that leave them and the targets among
    /// them; with `split`, a part of the cut network.
    fn part(&self, model: &Model, sites: &[usize], split: bool) -> Part {
        let has = |s: usize| sites.contains(&s);
        let n_routes = model.routes.len();
        let routes: Vec<usize> = (0..n_routes)
            .filter(|&r| has(model.routes[r].from))
            .collect();
        let cut = |r: usize| split && self.route_cut[r];
        let feeds: Vec<usize> = (0..n_routes)
            .filter(|&r| cut(r) && has(model.routes[r].to))
            .collect();
        let mut fed_stocks = Vec::new();
        for &r in &feeds {
            let (k, s) = (self.route_to[r], model.routes[r].to);
            if !fed_stocks
                .iter()
                .any(|x: &(usize, usize, Option<usize>)| x.0 == k)
            {
                fed_stocks.push((k, s, self.route_port_index[r]));
            }
        }
        let mut targets = sites.to_vec();
        targets.extend(routes.iter().map(|&r| self.n_sites + r));
        let stocks = (0..model.stocks.len())
            .filter(|&k| {
                sites.iter().any(|&s| {
                    let site = &model.sites[s];
                    site.out_stock == Some(k)
                        || site.in_stock == Some(k)
                        || site.port_stocks.contains(&k)
                })
            })
            .collect();
        let mut own = vec![false; model.n_targets()];
        targets.iter().for_each(|&x| own[x] = true);
        let index = |n: usize, site: &dyn Fn(usize) -> usize| -> Vec<usize> {
            (0..n).filter(|&i| has(site(i))).collect()
        };
        let ports_only = split
            && !feeds.is_empty()
            && sites.iter().all(|&s| model.sites[s].kind == SiteKind::Port);
        let mine_only = split
            && sites.len() == 1
            && model.sites[sites[0]].kind == SiteKind::Mine
            && feeds.is_empty()
            && !routes.is_empty()
            && routes.iter().all(|&r| cut(r));
        Part {
            ports_only,
            mine_only,
            mines: index(self.mines.len(), &|i| self.mines[i].0),
            plants: index(self.plants.len(), &|i| self.plants[i].0),
            loaders: index(self.loaders.len(), &|i| self.loaders[i].site),
            ports: index(self.ports.len(), &|i| self.ports[i].0),
            handoff: routes.iter().copied().filter(|&r| cut(r)).collect(),
            shared: (routes.iter().copied())
                .filter(|&r| !cut(r) && self.route_shared[r])
                .collect(),
            inflow: (0..n_routes)
                .filter(|r| routes.contains(r) || feeds.contains(r))
                .map(|r| (r, feeds.contains(&r)))
                .collect(),
            routes,
            targets,
            stocks,
            own,
            split,
            feeds,
            fed_stocks,
        }
    }

    /// Cuts the network at its ports and stockpiles (see `parts`), marking the routes
    /// cut.
    fn cut(&mut self, model: &Model) -> Vec<Part> {
        let n = model.sites.len();
        self.route_cut = vec![false; model.routes.len()];
        let kind = |s: usize| model.sites[s].kind;
        let is_cut = |s: usize| matches!(kind(s), SiteKind::Port | SiteKind::Stockpile);
        if model.routes.iter().any(|r| kind(r.from) == SiteKind::Port) {
            return Vec::new();
        }
        // Group the sites: a route that does not end at a port or a stockpile joins its
        // ends.
        let mut group: Vec<usize> = (0..n).collect();
        fn root(group: &mut [usize], mut s: usize) -> usize {
            while group[s] != s {
                group[s] = group[group[s]];
                s = group[s];
            }
            s
        }
        let mut join = |a: usize, b: usize| {
            let (a, b) = (root(&mut group, a), root(&mut group, b));
            group[a.max(b)] = a.min(b);
        };
        for r in model.routes.iter().filter(|r| !is_cut(r.to)) {
            join(r.from, r.to);
        }
        // The ports ship as one part, which knows the days on which none of them ships.
        let ports: Vec<usize> = (0..n).filter(|&s| kind(s) == SiteKind::Port).collect();
        for w in ports.windows(2) {
            join(w[0], w[1]);
        }
        let group: Vec<usize> = (0..n).map(|s| root(&mut group, s)).collect();
        for (r, route) in model.routes.iter().enumerate() {
            self.route_cut[r] = is_cut(route.to) && group[route.from] != group[route.to];
        }
        // Upstream groups first: repeatedly take the first group that no group left
        // feeds.
        let mut left: Vec<usize> = (0..n).filter(|&s| group[s] == s).collect();
        let mut order = Vec::new();
        while !left.is_empty() {
            let fed = |g: usize| {
                model.routes.iter().any(|r| {
                    group[r.to] == g && group[r.from] != g && left.contains(&group[r.from])
                })
            };
            let Some(i) = left.iter().position(|&g| !fed(g)) else {
                // The groups feed each other in a circle.
                self.route_cut.iter_mut().for_each(|c| *c = false);
                return Vec::new();
            };
            order.push(left.remove(i));
        }
        order
            .into_iter()
            .map(|g| {
                let sites: Vec<usize> = (0..n).filter(|&s| group[s] == g).collect();
                self.part(model, &sites, true)
            })
            .collect()
    }
}

/// A loss of cargo or inventory at a target on a day.
#[derive(Debug, Clone, Copy)]
pub struct CargoLoss {
    /// Day it happens.
    pub day: u32,
    /// Target id.
    pub target: u32,
    /// Fraction destroyed.
    pub fraction: f64,
    /// Hazard kind index of the event.
    pub kind: u8,
}

/// Each target's daily capacity factor as change points: from day `items[i].0` on,
/// the factor is `items[i].1`, until the target's next change point. Before its first
/// change point a target's factor is 1.
#[derive(Debug, Default, Clone)]
pub struct Factors {
    /// Target `t`'s change points are `items[off[t]..off[t + 1]]`, in day order.
    pub off: Vec<usize>,
    /// (day, factor) change points, target by target.
    pub items: Vec<(u32, f32)>,
}

/// The value flowing through each target on each day, as runs: from day `runs[t][i].0`
/// on, target `t` passes `runs[t][i].1` a day, until its next run.
#[derive(Debug, Default, Clone)]
pub struct Record {
    runs: Vec<Vec<(u32, f32)>>,
    n_days: usize,
}

impl Record {
    pub(crate) fn clear(&mut self, n_targets: usize, n_days: usize) {
        self.runs.resize_with(n_targets, Vec::new);
        self.runs.iter_mut().for_each(Vec::clear);
        self.n_days = n_days;
    }

    /// From `day` on, target `t` passes `value` a day.
    pub(crate) fn set(&mut self, t: usize, day: usize, value: f32) {
        push_run(&mut self.runs[t], day, value);
    }

    /// The days from which what passes target `t` changes.
    pub fn starts(&self, t: usize) -> impl Iterator<Item = f64> + '_ {
        self.runs[t].iter().map(|r| r.0 as f64)
    }

    /// The value through target `t` over the stretch `[a, b)` of days (fractional).
    pub fn value(&self, t: usize, a: f64, b: f64) -> f64 {
        let runs = &self.runs[t];
        let end = self.n_days as f64;
        let a = a.max(0.0);
        let b = b.min(end);
        // The run in force at `a`, then each later run that starts before `b`.
        let mut i = runs.partition_point(|r| r.0 as f64 <= a).saturating_sub(1);
        let mut sum = 0.0;
        while i < runs.len() && (runs[i].0 as f64) < b {
            let lo = runs[i].0 as f64;
            let hi = runs.get(i + 1).map_or(end, |r| r.0 as f64);
            let cover = (b.min(hi) - a.max(lo)).max(0.0);
            sum += cover * runs[i].1 as f64;
            i += 1;
        }
        sum
    }
}

/// What one run of the flow needs besides the network.
pub struct RunInput<'a> {
    /// Online day (fractional) of each producing unit, per site.
    pub units: &'a [Vec<f64>],
    /// Capacity factors of the targets over time, or none (all 1).
    pub factors: Option<&'a Factors>,
    /// Bit set of days on which some input may change.
    pub dirty: &'a [u64],
    /// Cargo losses sorted by day.
    pub losses: &'a [CargoLoss],
    /// Step every day, never fast-forwarding steady days (for tests of the
    /// fast-forward's exactness).
    pub every_day: bool,
    /// Step the network in parts cut at its ports and stockpiles, upstream first (see
    /// [`Flow::run`]); without, step it as a whole (for tests).
    pub split: bool,
    /// Days without shipments count towards `RunOutput::longest_idle` from this day on
    /// (the disruption-free run's first shipment: the days before it are the network
    /// filling, not a disruption).
    pub idle_from: usize,
}

/// What one run of the flow produces.
pub struct RunOutput<'a> {
    /// Delivered quantity per (month period, commodity): `period * n_commodities + commodity`.
    pub delivered: &'a mut [f64],
    /// Per port (in site order): the sum over days of its inventory at the day's end.
    pub port_stock_days: &'a mut [f64],
    /// Per port (in site order): the total it shipped.
    pub port_shipped: &'a mut [f64],
    /// Value destroyed by each cargo loss (parallel to `RunInput::losses`).
    pub destroyed: &'a mut [f64],
    /// When given, the value flowing through each target each day.
    pub record: Option<&'a mut Record>,
    /// Longest run of days with nothing shipped from any port, from
    /// `RunInput::idle_from` on.
    pub longest_idle: u32,
    /// The first day on which a port shipped anything (`u32::MAX` if none).
    pub first_shipment: u32,
    /// Days stepped one at a time (the others were accounted in stretches), probes of
    /// straight stretches not counted.
    pub days_stepped: u32,
    /// Of those, the days on which the ports were stepped (or shipped a run of
    /// arrivals: see `Flow::ship_arrivals`).
    pub port_days: u32,
    /// Straight stretches accounted in one step.
    pub stretches: u32,
    /// Whether the run was done in parts (see [`Flow::run`]); false when it was not
    /// asked for, or fell back to the whole network.
    pub split: bool,
}

/// Reusable state of the flow simulation.
#[derive(Debug, Default)]
pub struct Flow {
    stock: Vec<f64>,
    before: Vec<f64>,
    ring: Vec<f64>,
    ring_off: Vec<usize>,
    pos: Vec<usize>,
    /// Per route: how many of the latest loads (the arrival read today included) equal
    /// the latest one; the pipeline is uniform and delivers what it loads when this
    /// exceeds the transit days.
    same: Vec<usize>,
    cap_today: Vec<f64>,
    rcap_today: Vec<f64>,
    dispatch: Vec<f64>,
    shipped: Vec<f64>,
    port_out: Vec<f64>,
    through: Vec<f64>,
    /// Each target's capacity factor today.
    factor: Vec<f64>,
    /// Each target's next change point in `RunInput::factors`, and its day.
    cursor: Vec<usize>,
    next_change: Vec<u32>,
    /// First day of production of each unit (site by site, `unit_off[s]..unit_off[s + 1]`).
    unit_first: Vec<f64>,
    unit_off: Vec<usize>,
    /// From this day on each site's units are all online and ramped up ...
    settled: Vec<usize>,
    /// ... and sum to this.
    settled_units: Vec<f64>,
    /// What the current day did, when traced, and what the first day of a straight
    /// stretch did.
    trace: Trace,
    first_trace: Trace,
    /// How each store changed on the latest day stepped, and on the day before.
    delta: Vec<f64>,
    last_delta: Vec<f64>,
    /// Whether the two latest days changed every store by the same amounts, with
    /// uniform pipelines.
    straight: bool,
    /// Stores and pipelines put aside while a probe runs.
    saved_stock: Vec<f64>,
    saved_ring: Vec<f64>,
    saved_pos: Vec<usize>,
    saved_same: Vec<usize>,
    /// Per route into another part: what arrived today, and the runs of its arrivals
    /// handed over to that part: from day `.0` on, `.1` a day.
    arrived: Vec<f64>,
    handed: Vec<Vec<(u32, f64)>>,
    /// Per route from another part: what arrives today (read from `handed`), and the
    /// next run.
    arriving: Vec<f64>,
    feed_cursor: Vec<usize>,
    /// Per stock fed from another part: the most all routes towards it can load in a
    /// day (those of its own part too, which share its room), and all routes from
    /// other parts.
    need: Vec<f64>,
    inflow_cap: Vec<f64>,
    /// Per stock: what the routes that loaded so far today loaded towards it (they
    /// share its room).
    loaded_to: Vec<f64>,
    /// The days on which a part's own inputs change (before it reads its feeds).
    own_dirty: Vec<u64>,
    /// Days on which something arrives at the ports (see `ship_arrivals`).
    busy: Vec<u64>,
    /// A store fed by another part had less room than `need` on some day (so a road
    /// towards it could have been limited): the split run may not be exact.
    bound: bool,
    /// Days on which the inputs of each part may change, part by part.
    part_dirty: Vec<u64>,
    /// The sums of the run in progress.
    sums: Sums,
    /// `RunInput::idle_from` of the run in progress.
    idle_from: usize,
}

/// The sums of one run, kept apart until it is complete.
#[derive(Debug, Default)]
struct Sums {
    delivered: Vec<f64>,
    port_stock_days: Vec<f64>,
    port_shipped: Vec<f64>,
    destroyed: Vec<f64>,
    longest_idle: u32,
    first_shipment: u32,
    days_stepped: u32,
    port_days: u32,
    stretches: u32,
}

impl Sums {
    /// The sizes of `out`'s sums.
    fn sizes(out: &RunOutput) -> [usize; 4] {
        [
            out.delivered.len(),
            out.port_stock_days.len(),
            out.port_shipped.len(),
            out.destroyed.len(),
        ]
    }

    /// Zero sums of the given sizes.
    fn zeroed(&mut self, sizes: [usize; 4]) {
        let sums = [
            &mut self.delivered,
            &mut self.port_stock_days,
            &mut self.port_shipped,
            &mut self.destroyed,
        ];
        for (v, n) in sums.into_iter().zip(sizes) {
            v.clear();
            v.resize(n, 0.0);
        }
        self.longest_idle = 0;
        self.first_shipment = u32::MAX;
        self.days_stepped = 0;
        self.port_days = 0;
        self.stretches = 0;
    }

    /// Adds the sums to `out`'s.
    fn add_to(&self, out: &mut RunOutput) {
        for (to, from) in [
            (&mut *out.delivered, &self.delivered),
            (&mut *out.port_stock_days, &self.port_stock_days),
            (&mut *out.port_shipped, &self.port_shipped),
            (&mut *out.destroyed, &self.destroyed),
        ] {
            to.iter_mut().zip(from).for_each(|(x, y)| *x += y);
        }
        out.longest_idle = self.longest_idle;
        out.first_shipment = self.first_shipment;
        out.days_stepped = self.days_stepped;
        out.port_days = self.port_days;
        out.stretches = self.stretches;
    }
}

/// The index of the first loss from `from` on in `input.losses` at a target of part
/// `p` (the length if none).
fn next_loss(input: &RunInput, p: &Part, from: usize) -> usize {
    let rest = &input.losses[from..];
    from + rest
        .iter()
        .take_while(|l| !p.own[l.target as usize])
        .count()
}

/// Runs of a daily value (from day `.0` on, `.1` a day): from `day` on, `value`, unless
/// that is already the value in force.
#[inline]
fn push_run<T: PartialEq + Copy>(runs: &mut Vec<(u32, T)>, day: usize, value: T) {
    if runs.last().is_none_or(|x| x.1 != value) {
        runs.push((day as u32, value));
    }
}

/// `next`, or the day of the loss `input.losses[loss_i]` if earlier (but after `d`).
fn before_loss(next: usize, input: &RunInput, loss_i: usize, d: usize) -> usize {
    match input.losses.get(loss_i) {
        Some(l) => next.min((l.day as usize).max(d + 1)),
        None => next,
    }
}

/// The fewest days worth a probe for a straight stretch (a probe costs about one day).
const MIN_STRAIGHT: usize = 4;

/// What a traced day did: the outcome of every comparison it made between quantities
/// that depend on the stores, and every flow (arrivals, production, loads, losses,
/// shipments).
///
/// Within one day, with capacities fixed and pipelines uniform and delivering what they
/// load, every such quantity is an affine function of the stores at the day's start,
/// except a port's shipments when it ships less than it holds, which are linear over
/// affine (`stock * capacity / total`). Take the stores on a straight line, `s + j *
/// delta`. The comparisons cut the line into intervals with one outcome pattern each (a
/// port's `capacity / total < 1` is `capacity < total` once `0 < total` is recorded);
/// if the days at both ends of a stretch have the same pattern, every day between has
/// it too (each comparison is between affine functions of `j`, which cannot change
/// sign and change back). Within one pattern, every flow is affine or linear over affine
/// in `j`, hence monotone; if it is the same at both ends, it is the same throughout.
/// So when a stretch's first and last days have equal traces, every day between makes
/// the same flows, and the stores move by the same `delta` each day: the stretch can be
/// accounted in one step. One quantity is compared that is not affine: the room of a
/// road into a port counts what the port's store keeps after the day's shipping, its
/// stock less its shipment (`port_keeps`). A port's stocks when it ships are affine in
/// `j` whatever the day's other comparisons (nothing loads from a port), so each
/// shipment is linear over affine on the whole stretch, with a total above 0 at both
/// ends and so throughout: equal at both ends, it is the same every day, and what the
/// store keeps is affine after all.
#[derive(Debug, Default, Clone, PartialEq)]
struct Trace {
    outcomes: Vec<bool>,
    flows: Vec<f64>,
}

/// What a day's step reports of itself: nothing ([`NoTrace`]), or its [`Trace`].
trait Tracer {
    /// `a < b`, noted.
    fn lt(&mut self, a: f64, b: f64) -> bool;
    /// `a.min(b)`, noting which.
    fn min(&mut self, a: f64, b: f64) -> f64;
    /// `a.max(b)`, noting which.
    fn max(&mut self, a: f64, b: f64) -> f64;
    /// Notes a flow.
    fn flow(&mut self, q: f64);
}

/// The tracer of days that need no trace: every call is the bare operation.
struct NoTrace;

impl Tracer for NoTrace {
    #[inline(always)]
    fn lt(&mut self, a: f64, b: f64) -> bool {
        a < b
    }
    #[inline(always)]
    fn min(&mut self, a: f64, b: f64) -> f64 {
        a.min(b)
    }
    #[inline(always)]
    fn max(&mut self, a: f64, b: f64) -> f64 {
        a.max(b)
    }
    #[inline(always)]
    fn flow(&mut self, _: f64) {}
}

impl Tracer for Trace {
    fn lt(&mut self, a: f64, b: f64) -> bool {
        self.outcomes.push(a < b);
        a < b
    }
    fn min(&mut self, a: f64, b: f64) -> f64 {
        self.outcomes.push(a < b);
        a.min(b)
    }
    fn max(&mut self, a: f64, b: f64) -> f64 {
        self.outcomes.push(a > b);
        a.max(b)
    }
    fn flow(&mut self, q: f64) {
        self.flows.push(q);
    }
}

/// Whether bit `d` is set.
#[inline]
pub fn bit(bits: &[u64], d: usize) -> bool {
    bits[d >> 6] >> (d & 63) & 1 == 1
}

/// Sets bit `d` (ignored past the end).
#[inline]
pub fn set_bit(bits: &mut [u64], d: usize) {
    if let Some(w) = bits.get_mut(d >> 6) {
        *w |= 1 << (d & 63);
    }
}

/// Sets bits `a..b`.
fn set_range(bits: &mut [u64], mut a: usize, b: usize) {
    while a < b {
        let (word, lo) = (a >> 6, a & 63);
        let hi = (b - (word << 6)).min(64);
        let upto = if hi == 64 { !0 } else { (1u64 << hi) - 1 };
        bits[word] |= upto & (!0 << lo);
        a = (word + 1) << 6;
    }
}

/// The first clear bit after `d`, or `n` when none.
fn next_zero(bits: &[u64], d: usize, n: usize) -> usize {
    let mut i = d + 1;
    while i < n {
        let w = !bits[i >> 6] >> (i & 63);
        if w != 0 {
            return (i + w.trailing_zeros() as usize).min(n);
        }
        i = (i | 63) + 1;
    }
    n
}

/// The first set bit after `d`, or `n` when none.
fn next_bit(bits: &[u64], d: usize, n: usize) -> usize {
    let mut i = d + 1;
    while i < n {
        let w = bits[i >> 6] >> (i & 63);
        if w != 0 {
            return (i + w.trailing_zeros() as usize).min(n);
        }
        i = (i | 63) + 1;
    }
    n
}

/// Ramp-up factor on `day` of a unit whose first day of production is `first` (the
/// day its online time falls in, rounded up).
///
/// The factor rises in weekly steps: in each week from `first` on it is the mean over
/// the week's days of the linear ramp `min(1, (d - first + 1) / ramp_days)`, so a unit
/// yields over each whole week of its ramp-up what a daily linear ramp would, with a
/// change of capacity once a week instead of every day. (A week cut by the horizon, or
/// split between two months or years in the reports, moves up to half a week's
/// difference between the two across the cut.)
#[inline]
pub fn ramp(day: usize, first: f64, ramp_days: f64) -> f64 {
    let d = day as f64;
    if d < first {
        return 0.0;
    }
    if ramp_days <= 0.0 {
        return 1.0;
    }
    // The week's days are the `i`-th to `i + 6`-th of production.
    let i = ((d - first) / 7.0).floor() * 7.0 + 1.0;
    if i >= ramp_days {
        1.0
    } else if i + 6.0 <= ramp_days {
        (i + 3.0) / ramp_days
    } else {
        (0..7)
            .map(|j| ((i + j as f64) / ramp_days).min(1.0))
            .sum::<f64>()
            / 7.0
    }
}

/// The days on which the ramp-up factor of a unit first producing on day `first` can
/// change, from about day `from` on (some may lie before it, or past the horizon); the
/// weeks before it are not walked, however far back `first` lies.
pub fn ramp_steps(first: f64, ramp_days: f64, from: f64) -> impl Iterator<Item = f64> {
    let weeks = (ramp_days.max(0.0) / 7.0).ceil() as usize;
    // (One week early, for the rounding of the division.)
    let skip = (((from - first) / 7.0).floor().max(0.0) as usize).saturating_sub(1);
    (skip..=weeks).map(move |k| first + 7.0 * k as f64)
}

/// Calls `mark(site, day)` for each day from 0 to before `n_days` on which the ramp-up
/// factor of one of the units of `units` (online days, per site) can change.
pub fn unit_steps(
    units: &[Vec<f64>],
    net: &Net,
    n_days: usize,
    mut mark: impl FnMut(usize, usize),
) {
    for (s, us) in units.iter().enumerate() {
        for &o in us.iter().filter(|o| o.is_finite()) {
            // (A ramp-up far longer than the horizon is not stepped past it.)
            let steps =
                ramp_steps(o.ceil(), net.site_ramp[s], 0.0).take_while(|&d| d < n_days as f64);
            for d in steps.filter(|&d| d >= 0.0) {
                mark(s, d as usize);
            }
        }
    }
}

impl Flow {
    /// Runs the flow over the horizon and adds its sums to `out`'s.
    ///
    /// With `input.split`, the network is stepped in parts cut at its ports and
    /// stockpiles (`Topology::parts`), upstream first, each as though the stores of the
    /// parts downstream had unlimited room, handing what its roads deliver there over
    /// as runs of daily arrivals. A part's days of change are then those of its own
    /// inputs and of the arrivals it reads (it is still stepped while its stores or its
    /// own pipelines settle after one); a part that stands still passes over a day of
    /// change that cannot alter its flows (see `route_quiet`). This is exact as long as no store fed by another
    /// part is so full that its room limits a road; each part checks that every day
    /// (against the most any one road can load towards the store, with the store at its
    /// fullest of the day), and if one ever is, the run is done again on the whole
    /// network at once.
    pub fn run(
        &mut self,
        model: &Model,
        topo: &Topology,
        net: &Net,
        input: &RunInput,
        out: &mut RunOutput,
    ) {
        let n_days = model.n_days as usize;
        let n_targets = model.n_targets();
        let mut sums = std::mem::take(&mut self.sums);
        let sizes = Sums::sizes(out);
        sums.zeroed(sizes);
        let mut rec = out.record.as_deref_mut();
        if let Some(rec) = rec.as_deref_mut() {
            rec.clear(n_targets, n_days);
        }
        self.reset(model, topo, net, input);
        let split = input.split && !topo.parts.is_empty();
        out.split = split && self.run_split(model, topo, net, input, &mut sums, rec.as_deref_mut());
        if !out.split {
            if split {
                // Start afresh, keeping the count of days stepped.
                let stepped = (sums.days_stepped, sums.port_days, sums.stretches);
                sums.zeroed(sizes);
                (sums.days_stepped, sums.port_days, sums.stretches) = stepped;
                if let Some(rec) = rec.as_deref_mut() {
                    rec.clear(n_targets, n_days);
                }
                self.reset(model, topo, net, input);
            }
            let whole = &topo.whole;
            self.run_part(model, topo, whole, net, input, input.dirty, &mut sums, rec);
        }
        sums.add_to(out);
        self.sums = sums;
    }

    /// The parts of the cut network, upstream first; false if a store fed by another
    /// part could have limited a route on some day.
    fn run_split(
        &mut self,
        model: &Model,
        topo: &Topology,
        net: &Net,
        input: &RunInput,
        sums: &mut Sums,
        mut rec: Option<&mut Record>,
    ) -> bool {
        let n_days = model.n_days as usize;
        let words = n_days.div_ceil(64);
        let n = topo.parts.len();
        let mut dirty = std::mem::take(&mut self.part_dirty);
        dirty.clear();
        dirty.resize(n * words, 0);
        let mut mark = |target: usize, day: usize| {
            let row = topo.target_part[target] * words;
            set_bit(&mut dirty[row..row + words], day);
        };
        unit_steps(input.units, net, n_days, &mut mark);
        if let Some(f) = input.factors {
            for t in 0..model.n_targets() {
                for &(day, _) in &f.items[f.off[t]..f.off[t + 1]] {
                    mark(t, day as usize);
                }
            }
        }
        for l in input.losses {
            mark(l.target as usize, l.day as usize);
        }
        for row in dirty.chunks_mut(words) {
            set_bit(row, 0);
        }
        let mut exact = true;
        for (p, row) in topo.parts.iter().zip(dirty.chunks_mut(words)) {
            self.own_dirty.clear();
            self.own_dirty.extend_from_slice(row);
            // A part's inputs also change when the arrivals it reads do.
            for &r in &p.feeds {
                for &(day, _) in &self.handed[r] {
                    set_bit(row, day as usize);
                }
            }
            exact = self.run_part(model, topo, p, net, input, row, sums, rec.as_deref_mut());
            if !exact {
                break;
            }
        }
        self.part_dirty = dirty;
        exact
    }

    /// Steps part `p` over the horizon, its inputs changing on the days set in
    /// `dirty`; false if it stopped at a day on which a store fed by another part could
    /// have limited a route.
    #[allow(clippy::too_many_arguments)]
    fn run_part(
        &mut self,
        model: &Model,
        topo: &Topology,
        p: &Part,
        net: &Net,
        input: &RunInput,
        dirty: &[u64],
        sums: &mut Sums,
        mut rec: Option<&mut Record>,
    ) -> bool {
        let n_days = model.n_days as usize;
        let record = rec.is_some();
        if p.mine_only && !input.every_day {
            self.run_mine(model, topo, p, net, input, dirty, sums, rec);
            return true;
        }
        let ships = !p.ports.is_empty();
        let owned = |from: usize| next_loss(input, p, from);
        let mut loss_i = owned(0);
        let mut idle = 0u32;
        self.straight = false;
        self.last_delta.clear();
        self.before.resize(p.stocks.len(), 0.0);
        // The day before changed inputs and moved the stores.
        let mut moved = false;
        // The latest day stepped left the stores as they were, with uniform pipelines.
        let mut steady_last = false;
        let mut d = 0;
        while d < n_days {
            let change = bit(dirty, d) || d == 0;
            // Whether today's changes may alter the flows of a day that repeats the last.
            let mut matters = true;
            if change {
                matters = self.capacities(model, topo, net, p, input, d);
                matters |= self.feed(p, d);
            }
            while let Some(l) = input.losses.get(loss_i).filter(|l| l.day as usize <= d) {
                sums.destroyed[loss_i] += self.destroy(model, net, l);
                loss_i = owned(loss_i + 1);
                matters = true;
            }
            if p.ports_only && !record && !input.every_day && self.ships_arrivals(topo, p, net) {
                // Up to the next change of the ports' own inputs.
                let end = before_loss(next_bit(&self.own_dirty, d, n_days), input, loss_i, d);
                self.ship_arrivals(model, topo, p, d, end, sums, &mut idle);
                sums.days_stepped += 1;
                sums.port_days += 1;
                (d, self.straight, moved, steady_last) = (end, false, false, false);
                self.last_delta.clear();
                continue;
            }
            let next = before_loss(next_bit(dirty, d, n_days), input, loss_i, d);
            if steady_last && !matters && !record && !input.every_day {
                // The days up to the next change repeat the latest one, as if stepped:
                // its flows and stores stand, and the pipelines into other parts move on.
                let repeat = next - d;
                if ships {
                    self.account(model, topo, p, d, repeat, false, sums, &mut idle);
                }
                self.advance_handoff(p, net, d, repeat);
                d += repeat;
                continue;
            }
            // Trace the day after a day of change that moved the stores, or after two days
            // that moved them alike: it may start a straight stretch up to the next change
            // of inputs, along its own change of the stores.
            let traced = (self.straight || moved) && !input.every_day && next - d > MIN_STRAIGHT;
            sums.days_stepped += 1;
            sums.port_days += ships as u32;
            let pipes = if traced {
                self.step_traced(topo, p, net, record)
            } else {
                self.step(&mut NoTrace, topo, p, net, record)
            };
            if self.bound {
                return false;
            }
            for &r in &p.handoff {
                push_run(&mut self.handed[r], d, self.arrived[r]);
            }
            let steady =
                pipes && (p.stocks.iter().zip(&self.before)).all(|(&k, &b)| self.stock[k] == b);
            moved = change && pipes && !steady;
            steady_last = steady;
            let repeat = if steady && !input.every_day {
                next - d
            } else {
                1
            };
            if ships {
                self.account(model, topo, p, d, repeat, false, sums, &mut idle);
            }
            if let Some(rec) = rec.as_deref_mut() {
                for &t in &p.targets {
                    rec.set(t, d, self.through[t] as f32);
                }
            }
            if repeat > 1 {
                self.advance_handoff(p, net, d + 1, repeat - 1);
            }
            d += repeat;
            self.straight = false;
            // Only a day that leaves room for a straight stretch after it needs its change.
            if pipes && !steady && next > d + MIN_STRAIGHT {
                self.delta.clear();
                self.delta
                    .extend((p.stocks.iter().zip(&self.before)).map(|(&k, b)| self.stock[k] - b));
                self.straight = self.delta == self.last_delta;
                std::mem::swap(&mut self.delta, &mut self.last_delta);
                if traced && d < next {
                    let days = self.reach(net, p, next - d);
                    if days >= MIN_STRAIGHT && self.probe(topo, p, net, days, record) {
                        if ships {
                            self.account(model, topo, p, d, days, true, sums, &mut idle);
                        }
                        for (&k, dx) in p.stocks.iter().zip(&self.last_delta) {
                            self.stock[k] += days as f64 * dx;
                        }
                        self.advance_handoff(p, net, d, days);
                        d += days;
                        sums.stretches += 1;
                        steady_last = false;
                    }
                    // After a stretch, or a probe that found none, detect afresh.
                    self.straight = false;
                }
            } else {
                self.last_delta.clear();
            }
        }
        true
    }

    /// Steps a part that is one mine and its roads into other parts (`Part::mine_only`),
    /// as `run_part` would, with less to look after: the mine's store is the part's
    /// only store, and its loads depend on nothing downstream. A day that leaves the
    /// store as it was repeats up to the next change (or over a change that does not
    /// matter to it, as in `run_part`). A day on which every road loads what its
    /// capacity allows, without the store running short or overflowing, starts a
    /// straight stretch: the store moves by the same amount each day until the next
    /// change or until it would run short or overflow, which `mine_day` checks on the
    /// stretch's last day (as `probe` does; the flows are then the same throughout,
    /// see `Trace`).
    #[allow(clippy::too_many_arguments)]
    fn run_mine(
        &mut self,
        model: &Model,
        topo: &Topology,
        p: &Part,
        net: &Net,
        input: &RunInput,
        dirty: &[u64],
        sums: &mut Sums,
        mut rec: Option<&mut Record>,
    ) {
        let n_days = model.n_days as usize;
        let record = rec.is_some();
        let (site, k) = topo.mines[p.mines[0]];
        let l = &topo.loaders[p.loaders[0]];
        let mut loss_i = next_loss(input, p, 0);
        let mut steady = false;
        let mut d = 0;
        while d < n_days {
            let mut matters = true;
            if bit(dirty, d) || d == 0 {
                matters = self.capacities(model, topo, net, p, input, d);
            }
            while let Some(loss) = input.losses.get(loss_i).filter(|l| l.day as usize <= d) {
                sums.destroyed[loss_i] += self.destroy(model, net, loss);
                loss_i = next_loss(input, p, loss_i + 1);
                matters = true;
            }
            let next = before_loss(next_bit(dirty, d, n_days), input, loss_i, d);
            if steady && !matters && !record {
                self.advance_handoff(p, net, d, next - d);
                d = next;
                continue;
            }
            sums.days_stepped += 1;
            // Arrivals, handed over.
            for &r in &p.routes {
                self.arrived[r] = if self.rcap_today[r] > 0.0 {
                    self.ring[self.ring_off[r] + self.pos[r]]
                } else {
                    0.0
                };
            }
            let before = self.stock[k];
            let (end, full) = self.mine_day(topo, net, l, site, before, true);
            let max = net.stock_max[k];
            // (As `step` clamps it.)
            let after = if max < end { max } else { end };
            self.stock[k] = after;
            if let Some(rec) = rec.as_deref_mut() {
                // As `step` records them.
                let value = net.value[topo.stock_commodity[k]];
                let mut made = self.cap_today[site] * value;
                if end > after {
                    made -= (end - after) * value;
                }
                rec.set(site, d, made as f32);
                for &r in &l.routes {
                    let q = self.dispatch[r] * net.value[topo.route_commodity[r]];
                    rec.set(topo.n_sites + r, d, q as f32);
                }
            }
            for &r in &p.routes {
                if self.rcap_today[r] > 0.0 {
                    self.load_pipeline(r, net.route_transit[r]);
                }
                push_run(&mut self.handed[r], d, self.arrived[r]);
            }
            d += 1;
            steady = after == before;
            if steady {
                let mut to = next;
                if after == 0.0 && self.cap_today[site] == 0.0 && self.empty(p, net) {
                    // An empty part whose mine has no unit online yet stands still,
                    // whatever its roads' capacities do, until the first comes online (or
                    // a loss, which finds nothing).
                    let units = &self.unit_first[self.unit_off[site]..self.unit_off[site + 1]];
                    // (A unit whose day is not a number produces, as `ramp` has it.)
                    let online = units.iter().fold(f64::INFINITY, |a, &f| {
                        if f.is_nan() {
                            f64::NEG_INFINITY
                        } else {
                            a.min(f)
                        }
                    });
                    let loss = input.losses.get(loss_i).map_or(n_days, |l| l.day as usize);
                    to = (online.min(n_days as f64) as usize).min(loss).max(next);
                }
                if to > d {
                    self.advance_handoff(p, net, d, to - d);
                }
                d = to;
                continue;
            }
            if !full || next < d + 2 {
                continue;
            }
            // A straight stretch of `days` days from `d` on, if the last of them loads
            // as today did without the store running short or overflowing.
            let dx = after - before;
            let room = if dx > 0.0 { max - after } else { after };
            let days = ((room / dx.abs()).floor() as usize).min(next - d);
            let last = after + (days as f64 - 1.0) * dx;
            if days >= 2 && self.mine_day(topo, net, l, site, last, false).1 {
                self.stock[k] = after + days as f64 * dx;
                self.advance_handoff(p, net, d, days);
                d += days;
                sums.stretches += 1;
            }
        }
    }

    /// Whether the pipelines of part `p`'s routes hold nothing.
    fn empty(&self, p: &Part, net: &Net) -> bool {
        p.routes.iter().all(|&r| {
            let off = self.ring_off[r];
            self.ring[off..off + net.route_transit[r]]
                .iter()
                .all(|&q| q == 0.0)
        })
    }

    /// A day of a mine-only part (see `run_mine`) whose store holds `stock` at its
    /// start: production, then loading (writing the loads into `dispatch` if `write`,
    /// or else comparing them with it), as `step` does. Returns the store at the end
    /// of the day before what exceeds its room is lost, and whether every road loaded
    /// what its capacity allows (the loads equal `dispatch`'s, if not `write`) and the
    /// store neither ran short nor overflowed.
    #[inline(always)]
    fn mine_day(
        &mut self,
        t: &Topology,
        net: &Net,
        l: &Loader,
        site: usize,
        stock: f64,
        write: bool,
    ) -> (f64, bool) {
        let stock = stock + self.cap_today[site];
        let mut avail = stock;
        let mut standby_left = self.primary_lost(t, net, l);
        let mut loaded = 0.0;
        let mut full = true;
        for &r in &l.routes {
            let standby = t.route_standby[r];
            let cap = self.rcap_today[r];
            let mut q = 0.0;
            if cap > 0.0 && (!standby || 0.0 < standby_left) {
                // (The room towards another part is unlimited.)
                q = avail.min(cap).max(0.0);
                if standby {
                    // What the primaries lost may limit it before its capacity does.
                    full &= cap.min(standby_left) <= avail;
                    q = q.min(standby_left);
                    standby_left -= q;
                } else {
                    full &= cap <= avail;
                }
                avail -= q;
                loaded += q;
            }
            if write {
                self.dispatch[r] = q;
            } else {
                full &= self.dispatch[r] == q;
            }
        }
        let stock = stock - loaded;
        (stock, full && stock <= net.stock_max[l.stock])
    }

    /// Moves the pipelines of the part's routes into other parts on by `days`
    /// days from day `from`, each loading every day what it loaded the day before, and
    /// hands over their arrivals. (Between days of change, loads repeat; the part's
    /// stores do not depend on these arrivals, so the part may skip days while such a
    /// pipeline still delivers older loads.)
    fn advance_handoff(&mut self, p: &Part, net: &Net, from: usize, days: usize) {
        for &r in &p.handoff {
            if days == 0 || self.rcap_today[r] <= 0.0 {
                // A frozen route delivers nothing and keeps its cargo.
                continue;
            }
            let (off, len, pos) = (self.ring_off[r], net.route_transit[r], self.pos[r]);
            self.pos[r] = (pos + days) % len;
            self.same[r] += days;
            if self.same[r] - days > len {
                // The pipeline holds only the latest load, which also arrived last.
                continue;
            }
            let ring = &mut self.ring[off..off + len];
            let q = ring[if pos == 0 { len - 1 } else { pos - 1 }];
            let runs = &mut self.handed[r];
            let mut at = pos;
            for k in 0..days.min(len) {
                let a = std::mem::replace(&mut ring[at], q);
                push_run(runs, from + k, a);
                at = if at + 1 == len { 0 } else { at + 1 };
            }
            if days > len {
                push_run(runs, from + len, q);
            }
        }
    }

    /// Whether the ports of a ports-only part ship what arrives, as long as their own
    /// inputs do not change: their stores are empty, each can ship in a day at least all
    /// its roads could bring, and each store fed from elsewhere has room for that and for
    /// what any one road could load towards it.
    fn ships_arrivals(&self, t: &Topology, p: &Part, net: &Net) -> bool {
        p.stocks.iter().all(|&k| self.stock[k] == 0.0)
            && p.ports.iter().all(|&j| {
                let (s, first, end) = t.ports[j];
                let stocks = &t.port_stocks[first..end];
                let inflow: f64 = stocks.iter().map(|&k| self.inflow_cap[k]).sum();
                let limit: f64 = stocks.iter().map(|&k| net.stock_max[k]).sum();
                let need: f64 = stocks.iter().map(|&k| self.need[k]).sum();
                // (The room of the port's stores together, as in `room`.)
                self.cap_today[s] >= inflow
                    && (stocks.len() == 1 || limit + self.cap_today[s] - inflow >= need)
            })
            && p.fed_stocks.iter().all(|&(k, s, _)| {
                net.stock_max[k] + self.cap_today[s] - self.inflow_cap[k] >= self.need[k]
            })
    }

    /// Days `[from, to)` of a ports-only part that ships what arrives (see
    /// `ships_arrivals`): each road's arrivals go straight out, run by run, its stores
    /// stay empty, and the days on which nothing arrives anywhere are idle.
    #[allow(clippy::too_many_arguments)]
    fn ship_arrivals(
        &mut self,
        model: &Model,
        t: &Topology,
        p: &Part,
        from: usize,
        to: usize,
        sums: &mut Sums,
        idle: &mut u32,
    ) {
        let nc = model.commodities.len();
        let words = model.n_days.div_ceil(64) as usize;
        self.busy.resize(words, 0);
        self.busy[from >> 6..=(to - 1) >> 6].fill(0);
        for &r in &p.feeds {
            let (c, j) = (t.route_commodity[r], t.route_port_index[r].unwrap_or(0));
            let runs = &self.handed[r];
            let mut cursor = self.feed_cursor[r];
            let (mut a, mut q) = (from, self.arriving[r]);
            loop {
                let b = runs.get(cursor).map_or(to, |x| (x.0 as usize).min(to));
                if q != 0.0 && b > a {
                    // By month period, as `account` does.
                    let mut x = a;
                    while x < b {
                        let period = model.day_period[x] as usize;
                        let y = t.period_end[period].min(b);
                        sums.delivered[period * nc + c] += q * (y - x) as f64;
                        x = y;
                    }
                    sums.port_shipped[j] += q * (b - a) as f64;
                    set_range(&mut self.busy, a, b);
                }
                if b >= to {
                    break;
                }
                (a, q) = (b, runs[cursor].1);
                cursor += 1;
            }
            self.feed_cursor[r] = cursor;
            self.arriving[r] = q;
        }
        // Idle stretches, continuing the one before `from`.
        let mut x = from;
        while x < to {
            if bit(&self.busy, x) {
                *idle = 0;
                sums.first_shipment = sums.first_shipment.min(x as u32);
                x = next_zero(&self.busy, x, to);
            } else {
                let y = next_bit(&self.busy, x, to);
                *idle += y.saturating_sub(x.max(self.idle_from)) as u32;
                sums.longest_idle = sums.longest_idle.max(*idle);
                x = y;
            }
        }
    }

    /// A part reads the arrivals from other parts that change on day `d`; returns
    /// whether any did.
    fn feed(&mut self, p: &Part, d: usize) -> bool {
        let mut changed = false;
        for &r in &p.feeds {
            let runs = &self.handed[r];
            let cursor = &mut self.feed_cursor[r];
            while *cursor < runs.len() && runs[*cursor].0 as usize <= d {
                changed |= self.arriving[r] != runs[*cursor].1;
                self.arriving[r] = runs[*cursor].1;
                *cursor += 1;
            }
        }
        changed
    }

    /// How many of the next `days` days the stores can move along today's line before one
    /// of them empties or fills (a guess that a probe checks).
    fn reach(&self, net: &Net, p: &Part, days: usize) -> usize {
        let mut reach = days as f64;
        for (&k, &dx) in p.stocks.iter().zip(&self.last_delta) {
            let x = self.stock[k];
            let room = if dx > 0.0 { net.stock_max[k] - x } else { x };
            if dx != 0.0 {
                reach = reach.min((room / dx.abs()).floor());
            }
        }
        reach.max(0.0) as usize
    }

    /// Whether the `days` days from now repeat today's flows: steps the last of them (from
    /// the stores `days - 1` days along today's line) and compares its trace with
    /// today's. Leaves the state as it found it.
    fn probe(&mut self, t: &Topology, p: &Part, net: &Net, days: usize, record: bool) -> bool {
        std::mem::swap(&mut self.trace, &mut self.first_trace);
        self.saved_stock.clone_from(&self.stock);
        self.saved_ring.clone_from(&self.ring);
        self.saved_pos.clone_from(&self.pos);
        self.saved_same.clone_from(&self.same);
        let along = (days - 1) as f64;
        for (&k, dx) in p.stocks.iter().zip(&self.last_delta) {
            self.stock[k] += along * dx;
        }
        self.step_traced(t, p, net, record);
        // A store fed by another part found too full on the probed day is found again
        // when that day is stepped, if the stretch is refused because of it.
        self.bound = false;
        let same = self.trace == self.first_trace;
        std::mem::swap(&mut self.stock, &mut self.saved_stock);
        std::mem::swap(&mut self.ring, &mut self.saved_ring);
        std::mem::swap(&mut self.pos, &mut self.saved_pos);
        std::mem::swap(&mut self.same, &mut self.saved_same);
        same
    }

    /// Adds `days` days from `d` on with today's flows to the sums. With `moving`, the
    /// stores move by `last_delta` a day (a straight stretch) instead of standing still.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn account(
        &self,
        model: &Model,
        topo: &Topology,
        p: &Part,
        d: usize,
        days: usize,
        moving: bool,
        out: &mut Sums,
        idle: &mut u32,
    ) {
        let nc = model.commodities.len();
        let period_of = |day: usize| model.day_period[day] as usize;
        if days == 1 {
            // Most calls: one day, in one period.
            let p = period_of(d);
            let row = &mut out.delivered[p * nc..(p + 1) * nc];
            for (x, s) in row.iter_mut().zip(&self.shipped) {
                *x += s;
            }
        } else {
            let mut from = d;
            while from < d + days {
                let p = period_of(from);
                let to = topo.period_end[p].min(d + days);
                let k = (to - from) as f64;
                for c in 0..nc {
                    out.delivered[p * nc + c] += self.shipped[c] * k;
                }
                from = to;
            }
        }
        let k = days as f64;
        for &j in &p.ports {
            let (_, first, end) = topo.ports[j];
            let stocks = &topo.port_stocks[first..end];
            // The stores at the end of each day: as now, or in a straight stretch `i`
            // deltas more at the end of its `i`-th day.
            let mut sum = stocks.iter().map(|&s| self.stock[s]).sum::<f64>() * k;
            if moving {
                // (`last_delta` is in the order of the part's stores.)
                let at = |s: usize| p.stocks.iter().position(|&k| k == s);
                let drift: f64 = stocks
                    .iter()
                    .filter_map(|&s| at(s).map(|i| self.last_delta[i]))
                    .sum();
                sum += drift * k * (k + 1.0) / 2.0;
            }
            out.port_stock_days[j] += sum;
            out.port_shipped[j] += self.port_out[j] * k;
        }
        if self.shipped.iter().all(|&s| s <= 0.0) {
            *idle += (d + days).saturating_sub(d.max(self.idle_from)) as u32;
            out.longest_idle = out.longest_idle.max(*idle);
        } else {
            *idle = 0;
            out.first_shipment = out.first_shipment.min(d as u32);
        }
    }

    fn reset(&mut self, model: &Model, topo: &Topology, net: &Net, input: &RunInput) {
        let n_targets = model.n_targets();
        // Nothing of a previous run may steer this one.
        self.idle_from = input.idle_from;
        self.straight = false;
        self.last_delta.clear();
        self.factor.clear();
        self.factor.resize(n_targets, 1.0);
        self.cursor.clear();
        self.next_change.clear();
        if let Some(f) = input.factors {
            self.cursor.extend_from_slice(&f.off[..n_targets]);
            self.next_change.extend((0..n_targets).map(|t| {
                let (a, b) = (f.off[t], f.off[t + 1]);
                if a < b { f.items[a].0 } else { u32::MAX }
            }));
        }
        self.unit_first.clear();
        self.unit_off.clear();
        self.settled.clear();
        self.settled_units.clear();
        let n_days = model.n_days as usize;
        for (s, units) in input.units.iter().enumerate() {
            self.unit_off.push(self.unit_first.len());
            let ramp_days = net.site_ramp[s];
            let mut settled = 0;
            for &o in units {
                let first = o.ceil();
                self.unit_first.push(first);
                let done = if first == f64::INFINITY {
                    0
                } else if first.is_finite() {
                    // The last of `ramp_steps`.
                    let last = first + 7.0 * (ramp_days.max(0.0) / 7.0).ceil();
                    last.clamp(0.0, n_days as f64) as usize
                } else {
                    n_days
                };
                settled = settled.max(done);
            }
            let firsts = &self.unit_first[self.unit_off[s]..];
            self.settled.push(settled);
            self.settled_units
                .push(firsts.iter().map(|&f| ramp(settled, f, ramp_days)).sum());
        }
        self.unit_off.push(self.unit_first.len());
        self.stock.clear();
        self.stock.extend_from_slice(&net.stock_init);
        self.port_out.resize(topo.ports.len(), 0.0);
        self.ring_off.clear();
        let mut off = 0;
        for &t in &net.route_transit {
            self.ring_off.push(off);
            off += t;
        }
        self.ring.clear();
        self.ring.resize(off, 0.0);
        self.pos.clear();
        self.pos.resize(model.routes.len(), 0);
        // An empty pipeline is a run of zero loads.
        self.same.clear();
        self.same.extend_from_slice(&net.route_transit);
        self.cap_today.resize(model.sites.len(), 0.0);
        self.rcap_today.resize(model.routes.len(), 0.0);
        self.dispatch.resize(model.routes.len(), 0.0);
        self.shipped.resize(model.commodities.len(), 0.0);
        self.through.resize(model.n_targets(), 0.0);
        let n_routes = model.routes.len();
        self.arrived.clear();
        self.arrived.resize(n_routes, 0.0);
        self.handed.resize_with(n_routes, Vec::new);
        self.handed.iter_mut().for_each(Vec::clear);
        self.arriving.clear();
        self.arriving.resize(n_routes, 0.0);
        self.feed_cursor.clear();
        self.feed_cursor.resize(n_routes, 0);
        self.need.clear();
        self.need.resize(self.stock.len(), 0.0);
        self.inflow_cap.clear();
        self.inflow_cap.resize(self.stock.len(), 0.0);
        self.loaded_to.clear();
        self.loaded_to.resize(self.stock.len(), 0.0);
        for (r, &to) in topo.route_to.iter().enumerate() {
            if topo.route_cut[r] {
                self.inflow_cap[to] += net.route_cap[r];
            }
        }
        // Routes share their destination's room, so a store fed from another part has
        // room enough when it has room for all its routes together.
        for (r, &to) in topo.route_to.iter().enumerate() {
            if self.inflow_cap[to] > 0.0 {
                self.need[to] += net.route_cap[r];
            }
        }
        self.bound = false;
    }

    /// Sets today's capacities: on day 0 all of them, later those of the targets whose
    /// factor changes today and of the sites still ramping up. Returns whether a change
    /// may alter the flows of a day that repeats the one before (see `route_quiet`).
    #[inline(always)]
    fn capacities(
        &mut self,
        model: &Model,
        topo: &Topology,
        net: &Net,
        p: &Part,
        input: &RunInput,
        d: usize,
    ) -> bool {
        let n_sites = model.sites.len();
        let mut matters = d == 0;
        for &t in &p.targets {
            let mut changed = d == 0;
            if let Some(f) = input.factors.filter(|_| self.next_change[t] as usize <= d) {
                let (cursor, end) = (&mut self.cursor[t], f.off[t + 1]);
                while *cursor < end && f.items[*cursor].0 as usize <= d {
                    self.factor[t] = f.items[*cursor].1 as f64;
                    *cursor += 1;
                    changed = true;
                }
                self.next_change[t] = if *cursor < end {
                    f.items[*cursor].0
                } else {
                    u32::MAX
                };
            }
            if t >= n_sites {
                if changed {
                    let r = t - n_sites;
                    let new = net.route_cap[r] * self.factor[t];
                    matters |= !self.route_quiet(topo, net, r, new);
                    self.rcap_today[r] = new;
                }
            } else if changed || d <= self.settled[t] {
                let units: f64 = if d >= self.settled[t] {
                    self.settled_units[t]
                } else {
                    self.unit_first[self.unit_off[t]..self.unit_off[t + 1]]
                        .iter()
                        .map(|&f| ramp(d, f, net.site_ramp[t]))
                        .sum()
                };
                let new = net.site_cap[t] * units * self.factor[t];
                matters |= new != self.cap_today[t];
                self.cap_today[t] = new;
            }
        }
        matters
    }

    /// Whether route `r`'s capacity may change from today's to `new` without altering
    /// the flows of a day that repeats the one before: something else limited its load,
    /// which the new capacity still allows; or it loaded nothing for as long as its
    /// pipeline is (so it delivers nothing either, moving or frozen). Other routes of
    /// its site may not depend on its capacity (`route_plain`).
    fn route_quiet(&self, t: &Topology, net: &Net, r: usize, new: f64) -> bool {
        let (old, q) = (self.rcap_today[r], self.dispatch[r]);
        new == old
            || t.route_plain[r]
                && old > 0.0
                && q < old
                && (new > 0.0 && q <= new || q == 0.0 && self.same[r] > net.route_transit[r])
    }

    /// Destroys cargo or inventory at a target; returns the value destroyed.
    fn destroy(&mut self, model: &Model, net: &Net, loss: &CargoLoss) -> f64 {
        let n_sites = model.sites.len();
        let t = loss.target as usize;
        let f = loss.fraction;
        if t < n_sites {
            let site = &model.sites[t];
            let mut lost = 0.0;
            for k in site
                .out_stock
                .iter()
                .chain(site.in_stock.iter())
                .chain(site.port_stocks.iter())
            {
                let q = self.stock[*k] * f;
                self.stock[*k] -= q;
                lost += q * net.value[model.stocks[*k].commodity];
            }
            lost
        } else {
            let r = t - n_sites;
            let off = self.ring_off[r];
            let len = net.route_transit[r];
            let ring = &mut self.ring[off..off + len];
            let q: f64 = ring.iter().sum::<f64>() * f;
            ring.iter_mut().for_each(|x| *x *= 1.0 - f);
            // The run of equal loads that ends with the latest one (at `pos - 1`).
            let pos = self.pos[r];
            let newest = ring[(pos + len - 1) % len];
            self.same[r] = (1..=len)
                .take_while(|&i| ring[(pos + len - i) % len] == newest)
                .count();
            q * net.value[model.routes[r].commodity]
        }
    }

    /// Room at route `r`'s destination store, less what routes loaded towards it
    /// today; at a port, the room its store has after the day's shipping
    /// (`port_keeps`), plus what the port ships on a day, and no more than the room of
    /// the port's stores together (`port_room`). (Unlimited for a route into another
    /// part; that part checks it.)
    #[inline(always)]
    fn room<R: Tracer>(&self, tr: &mut R, t: &Topology, p: &Part, net: &Net, r: usize) -> f64 {
        let to = t.route_to[r];
        if p.split && t.route_cut[r] {
            return f64::INFINITY;
        }
        let room = match t.route_port_index[r] {
            Some(j) => self.room_at_port(tr, t, net, j, to),
            None => net.stock_max[to] - self.stock[to] - self.loaded_to[to],
        };
        tr.max(room, 0.0)
    }

    /// `room` for a route into store `k` of port `j` (never one into another part, so
    /// seldom, and apart from the hot path), before it is bounded below by 0.
    #[inline(never)]
    fn room_at_port<R: Tracer>(
        &self,
        tr: &mut R,
        t: &Topology,
        net: &Net,
        j: usize,
        k: usize,
    ) -> f64 {
        let (s, first, end) = t.ports[j];
        let own =
            net.stock_max[k] + self.cap_today[s] - self.port_keeps(tr, t, j, k) - self.loaded_to[k];
        // A day's shipping is room for one store or another, not for each.
        if end - first > 1 {
            let all = self.port_room(tr, t, net, j);
            tr.min(own, all)
        } else {
            own
        }
    }

    /// The room of port `j`'s stores together: their limits and a day's shipping, less
    /// what they keep after today's shipping and what routes loaded towards them today.
    fn port_room<R: Tracer>(&self, tr: &mut R, t: &Topology, net: &Net, j: usize) -> f64 {
        let (s, first, end) = t.ports[j];
        let (mut limit, mut total, mut loaded) = (0.0, 0.0, 0.0);
        for &k in &t.port_stocks[first..end] {
            limit += net.stock_max[k];
            total += self.stock[k];
            loaded += self.loaded_to[k];
        }
        let cap = self.cap_today[s];
        limit + cap - tr.max(total - cap, 0.0) - loaded
    }

    /// What store `k` of port `j` keeps after today's shipping, as the day's shipping
    /// will leave it (a port's stores are final once the day's arrivals are in: nothing
    /// loads from a port). A load arrives on a later day, on which the port ships
    /// again; what the port ships today does not take room from it.
    fn port_keeps<R: Tracer>(&self, tr: &mut R, t: &Topology, j: usize, k: usize) -> f64 {
        let (s, first, end) = t.ports[j];
        let total: f64 = t.port_stocks[first..end]
            .iter()
            .map(|&k| self.stock[k])
            .sum();
        if !tr.lt(0.0, total) {
            return self.stock[k];
        }
        let share = tr.min(self.cap_today[s] / total, 1.0);
        self.stock[k] - self.stock[k] * share
    }

    /// Capacity the primary routes of a loader lost today (what its standby routes may
    /// carry). It depends on today's capacities only.
    fn primary_lost(&self, t: &Topology, net: &Net, l: &Loader) -> f64 {
        if !l.any_standby {
            return 0.0;
        }
        l.routes
            .iter()
            .filter(|&&r| !t.route_standby[r])
            .map(|&r| (net.route_cap[r] - self.rcap_today[r]).max(0.0))
            .sum()
    }

    /// What a loader can move out today: each primary route up to its capacity and its
    /// destination's room, standby routes only up to what the primaries lost.
    fn out_capacity<R: Tracer>(
        &mut self,
        tr: &mut R,
        t: &Topology,
        p: &Part,
        net: &Net,
        l: &Loader,
    ) -> f64 {
        let mut standby_left = self.primary_lost(t, net, l);
        let mut total = 0.0;
        for &r in &l.routes {
            let room = self.room(tr, t, p, net, r);
            let mut q = tr.min(self.rcap_today[r], room);
            if t.route_standby[r] {
                q = tr.min(q, standby_left);
                standby_left -= q;
            }
            total += q;
            if self.counts_load(t, p, r) {
                self.loaded_to[t.route_to[r]] += q;
            }
        }
        // Nothing is loaded before the plants have processed (`step`): set back.
        for &r in &l.routes {
            if self.counts_load(t, p, r) {
                self.loaded_to[t.route_to[r]] = 0.0;
            }
        }
        total
    }

    /// Whether part `p` counts what route `r` loads in `loaded_to`: it shares its
    /// destination's room, and does not find unlimited room in another part.
    #[inline(always)]
    fn counts_load(&self, t: &Topology, p: &Part, r: usize) -> bool {
        t.route_shared[r] && !(p.split && t.route_cut[r])
    }

    /// One day. Returns true when every pipeline is uniform and delivers what it loads
    /// today; if the day also left every store unchanged, the next days repeat it
    /// exactly. `through` (the value passing each target) is kept only when `record`.
    ///
    /// With `T`, the day writes into `trace` the outcome of every comparison it makes
    /// between quantities that depend on the stores, and every flow (see [`Trace`]).
    fn step<R: Tracer>(
        &mut self,
        tr: &mut R,
        t: &Topology,
        p: &Part,
        net: &Net,
        record: bool,
    ) -> bool {
        for (b, &k) in self.before.iter_mut().zip(&p.stocks) {
            *b = self.stock[k];
        }
        if record {
            self.through.fill(0.0);
        }
        // Arrivals (handed over to the ports by an upstream part, read from the
        // upstream parts by the ports).
        for &(r, fed) in &p.inflow {
            if fed {
                self.stock[t.route_to[r]] += self.arriving[r];
            } else if self.rcap_today[r] > 0.0 {
                let a = self.ring[self.ring_off[r] + self.pos[r]];
                if p.split && t.route_cut[r] {
                    // Nothing in the part depends on it.
                    self.arrived[r] = a;
                } else {
                    self.stock[t.route_to[r]] += a;
                    tr.flow(a);
                }
            } else {
                self.arrived[r] = 0.0;
            }
        }
        // A part checks that its stores fed by other parts have room for whatever a
        // route could load towards them today (at their fullest, before any loading).
        for &(k, s, port) in &p.fed_stocks {
            let (port_out, held) = match port {
                Some(j) => (self.cap_today[s], self.port_keeps(tr, t, j, k)),
                None => (0.0, self.stock[k]),
            };
            if tr.lt(net.stock_max[k] + port_out - held, self.need[k]) {
                self.bound = true;
            }
        }
        if !p.fed_stocks.is_empty() {
            for &j in &p.ports {
                let (_, first, end) = t.ports[j];
                if end - first > 1 {
                    let need: f64 = t.port_stocks[first..end]
                        .iter()
                        .map(|&k| self.need[k])
                        .sum();
                    let room = self.port_room(tr, t, net, j);
                    if tr.lt(room, need) {
                        self.bound = true;
                    }
                }
            }
        }
        for &r in &p.shared {
            self.loaded_to[t.route_to[r]] = 0.0;
        }
        // Production and processing. A mine produces at capacity; what can neither leave
        // today nor fit in its store is lost (below). A plant processes no more than its
        // output store and today's outbound capacity can take.
        for &(s, k) in p.mines.iter().map(|&i| &t.mines[i]) {
            let q = self.cap_today[s];
            self.stock[k] += q;
            if record {
                self.through[s] = q * net.value[t.stock_commodity[k]];
            }
        }
        for &j in &p.plants {
            let (s, i, o) = t.plants[j];
            let y = net.plant_yield[j];
            let out_cap =
                t.plant_loader[j].map_or(0.0, |l| self.out_capacity(tr, t, p, net, &t.loaders[l]));
            let room = tr.max((net.stock_max[o] - self.stock[o] + out_cap) / y, 0.0);
            let q = tr.min(self.stock[i], self.cap_today[s]);
            let q = tr.min(q, room);
            let q = tr.max(q, 0.0);
            tr.flow(q);
            self.stock[i] -= q;
            self.stock[o] += q * y;
            if record {
                self.through[s] = q * y * net.value[t.stock_commodity[o]];
            }
        }
        // Loading onto routes, in priority order. Standby routes carry at most the
        // capacity the primary routes lost today.
        for l in p.loaders.iter().map(|&i| &t.loaders[i]) {
            let mut avail = self.stock[l.stock];
            if l.stockpile {
                avail = tr.min(avail, self.cap_today[l.site]);
            }
            let mut standby_left = self.primary_lost(t, net, l);
            let mut loaded = 0.0;
            for &r in &l.routes {
                let standby = t.route_standby[r];
                let mut q = 0.0;
                if self.rcap_today[r] > 0.0 && (!standby || tr.lt(0.0, standby_left)) {
                    let room = self.room(tr, t, p, net, r);
                    q = tr.min(avail, self.rcap_today[r]);
                    q = tr.min(q, room);
                    q = tr.max(q, 0.0);
                    if standby {
                        q = tr.min(q, standby_left);
                        standby_left -= q;
                    }
                    avail -= q;
                    loaded += q;
                    if self.counts_load(t, p, r) {
                        self.loaded_to[t.route_to[r]] += q;
                    }
                }
                self.dispatch[r] = q;
                tr.flow(q);
                if record {
                    self.through[t.n_sites + r] = q * net.value[t.route_commodity[r]];
                }
            }
            self.stock[l.stock] -= loaded;
            let max = net.stock_max[l.stock];
            if l.clamp && tr.lt(max, self.stock[l.stock]) {
                let lost = self.stock[l.stock] - max;
                self.stock[l.stock] = max;
                tr.flow(lost);
                if record {
                    self.through[l.site] -= lost * net.value[t.stock_commodity[l.stock]];
                }
            }
            if record && l.stockpile {
                self.through[l.site] = loaded * net.value[t.stock_commodity[l.stock]];
            }
        }
        // Transit: today's loads enter the pipelines; a pipeline that is not uniform
        // would deliver differently tomorrow.
        let mut pipes = true;
        for &r in &p.routes {
            if self.rcap_today[r] > 0.0 {
                let len = net.route_transit[r];
                self.load_pipeline(r, len);
                // Today's arrival and every load in the pipeline equal today's load (no
                // matter for a pipeline that hands over: see `advance_handoff`).
                pipes &= self.same[r] > len || (p.split && t.route_cut[r]);
            }
        }
        // Shipping from ports.
        if !p.ports.is_empty() {
            self.shipped.fill(0.0);
            self.port_out.fill(0.0);
        }
        for &j in &p.ports {
            let (s, first, end) = t.ports[j];
            let stocks = &t.port_stocks[first..end];
            let total: f64 = stocks.iter().map(|&k| self.stock[k]).sum();
            if !tr.lt(0.0, total) {
                continue;
            }
            let share = tr.min(self.cap_today[s] / total, 1.0);
            let mut value = 0.0;
            for &k in stocks {
                let q = self.stock[k] * share;
                tr.flow(q);
                self.stock[k] -= q;
                let c = t.stock_commodity[k];
                self.shipped[c] += q;
                self.port_out[j] += q;
                value += q * net.value[c];
            }
            if record {
                self.through[s] = value;
            }
        }
        pipes
    }

    /// Today's load of route `r` (in `dispatch`) enters its pipeline of `len` days.
    #[inline(always)]
    fn load_pipeline(&mut self, r: usize, len: usize) {
        let (off, pos, q) = (self.ring_off[r], self.pos[r], self.dispatch[r]);
        let newest = self.ring[off + if pos == 0 { len - 1 } else { pos - 1 }];
        self.same[r] = if q == newest { self.same[r] + 1 } else { 1 };
        self.ring[off + pos] = q;
        self.pos[r] = if pos + 1 == len { 0 } else { pos + 1 };
    }

    /// `step`, writing what the day does into `self.trace`.
    fn step_traced(&mut self, t: &Topology, p: &Part, net: &Net, record: bool) -> bool {
        let mut tr = std::mem::take(&mut self.trace);
        tr.outcomes.clear();
        tr.flows.clear();
        let pipes = self.step(&mut tr, t, p, net, record);
        self.trace = tr;
        pipes
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Compiled;
    use crate::scenario::parse;

    pub(crate) const TINY: &str = r#"
name = "tiny"
start = "2026-01-01"
horizon = "2026-12-31"
[[commodities]]
name = "ore"
[[sites]]
name = "pile"
kind = "stockpile"
region = "A"
commodity = "ore"
initial_inventory = 100
capacity_per_day = 10
inventory_max = 1000
[[sites]]
name = "port"
kind = "port"
region = "A"
capacity_per_day = 1000
inventory_max = 1000
[[routes]]
name = "road"
from = "pile"
to = "port"
regions = ["A"]
capacity_per_day = 7
transit_days = 3
"#;

    #[test]
    fn a_ramp_up_longer_than_the_horizon_is_stepped_only_within_it() {
        // Ramp-ups of a million million days once took as many weekly steps.
        let net = super::Net {
            site_ramp: vec![1e12, 10.0],
            ..Default::default()
        };
        let mut marks = Vec::new();
        super::unit_steps(&[vec![-3.0], vec![20.0]], &net, 100, |s, d| {
            marks.push((s, d))
        });
        // Site 0: its first step (day -3) is before day 0; then every week to day 95.
        let want: Vec<(usize, usize)> = (0..14)
            .map(|k| (0, 4 + 7 * k))
            .chain([(1, 20), (1, 27), (1, 34)])
            .collect();
        assert_eq!(marks, want);
    }

    #[test]
    fn weekly_ramp_up_yields_what_a_daily_linear_one_would() {
        use super::{ramp, ramp_steps};
        for (first, r) in [
            (3.0, 365.0),
            (0.0, 180.0),
            (10.0, 10.0),
            (5.0, 7.0),
            (2.0, 0.5),
        ] {
            let steps: Vec<f64> = ramp_steps(first, r, f64::NEG_INFINITY).collect();
            // From a later day on, the same steps less those long before it.
            let later: Vec<f64> = ramp_steps(first, r, 30.0).collect();
            let before = |v: &[f64]| v.iter().filter(|&&d| d < 30.0).count();
            assert!(steps.ends_with(&later), "{later:?}");
            assert!(steps.len() - before(&steps) == later.len() - before(&later));
            assert!(before(&later) <= 2, "{later:?}");
            let (mut weekly, mut daily) = (0.0, 0.0);
            for d in 0..600 {
                let x = ramp(d, first, r);
                let df = d as f64;
                let linear = if df < first {
                    0.0
                } else {
                    ((df - first + 1.0) / r).min(1.0)
                };
                weekly += x;
                daily += linear;
                if d > 0 && x != ramp(d - 1, first, r) {
                    assert!(steps.contains(&df), "day {d} of ({first}, {r}) changes");
                }
                assert!((0.0..=1.0).contains(&x));
            }
            assert!(
                (weekly - daily).abs() < 1e-9 * daily,
                "({first}, {r}): {weekly} vs {daily}"
            );
            assert_eq!(ramp(599, first, r), 1.0);
        }
        assert_eq!(ramp(2, 3.0, 365.0), 0.0);
        assert_eq!(ramp(9, 3.0, 0.0), 1.0);
        // The first week of a 365-day ramp runs at the mean of days 1 to 7: 4/365.
        assert_eq!(ramp(3, 3.0, 365.0), 4.0 / 365.0);
        assert_eq!(ramp(9, 3.0, 365.0), 4.0 / 365.0);
        assert_eq!(ramp(10, 3.0, 365.0), 11.0 / 365.0);
    }

    /// A mine whose only road is cut from day 50 to day 90: its store fills (10 a day)
    /// until full, then drains (15 a day) once the road reopens.
    const BLOCKADE: &str = r#"
name = "blockade"
start = "2026-01-01"
horizon = "2026-12-31"
[[commodities]]
name = "ore"
[[sites]]
name = "mine"
kind = "mine"
region = "A"
commodity = "ore"
capacity_per_day = 10
inventory_max = 300
[[sites]]
name = "port"
kind = "port"
region = "A"
capacity_per_day = 1000
inventory_max = 1000
[[routes]]
name = "road"
from = "mine"
to = "port"
regions = ["A"]
capacity_per_day = 25
transit_days = 3
"#;

    /// Two mines feed a port that ships less than arrives and holds little, so its
    /// stores drift, it ships shares of each, and the room it leaves limits the roads;
    /// the first road is cut from day 50 to day 90.
    const PORT_BOUND: &str = r#"
name = "port_bound"
start = "2026-01-01"
horizon = "2026-12-31"
[[commodities]]
name = "ore_a"
[[commodities]]
name = "ore_b"
[[sites]]
name = "mine_a"
kind = "mine"
region = "A"
commodity = "ore_a"
capacity_per_day = 10
inventory_max = 300
[[sites]]
name = "mine_b"
kind = "mine"
region = "A"
commodity = "ore_b"
capacity_per_day = 6
inventory_max = 200
[[sites]]
name = "port"
kind = "port"
region = "A"
capacity_per_day = 12
inventory_max = 150
[[routes]]
name = "road_a"
from = "mine_a"
to = "port"
regions = ["A"]
capacity_per_day = 25
transit_days = 2
[[routes]]
name = "road_b"
from = "mine_b"
to = "port"
regions = ["A"]
capacity_per_day = 15
transit_days = 3
"#;

    /// A mine sends 40 a day to a yard that passes on only 20 a day: the yard fills, and
    /// two days before it is full the room it has left starts to limit the first road
    /// (a change of flows that no store's emptying or filling announces).
    const YARD: &str = r#"
name = "yard"
start = "2026-01-01"
horizon = "2026-12-31"
[[commodities]]
name = "ore"
[[sites]]
name = "mine"
kind = "mine"
region = "A"
commodity = "ore"
capacity_per_day = 40
inventory_max = 1000
[[sites]]
name = "yard"
kind = "stockpile"
region = "A"
commodity = "ore"
capacity_per_day = 20
inventory_max = 300
[[sites]]
name = "port"
kind = "port"
region = "A"
capacity_per_day = 1000
inventory_max = 1000
[[routes]]
name = "road"
from = "mine"
to = "yard"
regions = ["A"]
capacity_per_day = 40
transit_days = 1
[[routes]]
name = "quay"
from = "yard"
to = "port"
regions = ["A"]
capacity_per_day = 100
transit_days = 1
"#;

    /// What a run of the flow of `text` gives, its first road cut from day 50 to 90.
    struct Blockade {
        delivered: Vec<f64>,
        /// Summed over the ports.
        stock_days: f64,
        shipped: f64,
        idle: u32,
        first_shipment: u32,
        stepped: u32,
        port_days: u32,
        stretches: u32,
        /// The value through each target over a grid of stretches of days.
        through: Vec<f64>,
        /// The value each cargo loss destroyed.
        destroyed: Vec<f64>,
        /// Whether the run was done in parts.
        split: bool,
    }

    /// How to run `blockade_with`.
    #[derive(Clone, Copy, Default)]
    struct Opts<'a> {
        every_day: bool,
        split: bool,
        /// Keep no record of the value through each target.
        no_record: bool,
        /// Cut this site or route instead of the first road.
        site: Option<&'a str>,
        /// The first day of the first site (0 if not given).
        online: usize,
        /// The factor of the cut target from day 50 to day 90 (0: closed).
        level: f32,
        losses: &'a [super::CargoLoss],
        /// `RunInput::idle_from`.
        idle_from: usize,
    }

    fn blockade(text: &str, every_day: bool, split: bool) -> Blockade {
        blockade_of(text, every_day, split, true, None)
    }

    /// `blockade`, the value through each target recorded or not, with the named site
    /// cut instead of the first road.
    fn blockade_of(
        text: &str,
        every_day: bool,
        split: bool,
        record: bool,
        site: Option<&str>,
    ) -> Blockade {
        let o = Opts {
            every_day,
            split,
            no_record: !record,
            site,
            losses: &[],
            level: 0.0,
            online: 0,
            idle_from: 0,
        };
        blockade_with(&mut super::Flow::default(), text, o)
    }

    /// `blockade`, run twice on `flow`.
    fn blockade_with(flow: &mut super::Flow, text: &str, o: Opts) -> Blockade {
        use super::{Factors, Net, Record, RunInput, RunOutput, Topology, set_bit};
        let model = parse(text, "blockade").unwrap();
        let topo = Topology::new(&model);
        let mut net = Net::default();
        crate::engine::trial::build_net(&model, &[], &mut net);
        let n_days = model.n_days as usize;
        let mut units = vec![vec![0.0]; model.sites.len()];
        units[0][0] = o.online as f64;
        let n_sites = model.sites.len();
        let road = o.site.map_or(n_sites, |name| {
            (model.sites.iter().position(|s| s.name == name))
                .or_else(|| (model.routes.iter().position(|r| r.name == name)).map(|r| n_sites + r))
                .unwrap()
        });
        // The target's factor is `o.level` from day 50 and 1 again from day 90.
        let mut off = vec![0; road + 1];
        off.resize(model.n_targets() + 1, 2);
        let factors = Factors {
            off,
            items: vec![(50, o.level), (90, 1.0)],
        };
        let mut dirty = vec![0u64; n_days.div_ceil(64)];
        for d in [0, 50, 90, o.online]
            .into_iter()
            .chain(o.losses.iter().map(|l| l.day as usize))
        {
            set_bit(&mut dirty, d);
        }
        let input = RunInput {
            units: &units,
            factors: Some(&factors),
            dirty: &dirty,
            losses: o.losses,
            every_day: o.every_day,
            split: o.split,
            idle_from: o.idle_from,
        };
        let nc = model.commodities.len();
        let np = topo.ports.len();
        let mut delivered = vec![0.0; model.months.len() * nc];
        let (mut stock_days, mut shipped) = (vec![0.0; np], vec![0.0; np]);
        let mut destroyed = vec![0.0; o.losses.len()];
        let mut recorded = Record::default();
        let mut out = RunOutput {
            delivered: &mut delivered,
            port_stock_days: &mut stock_days,
            port_shipped: &mut shipped,
            destroyed: &mut destroyed,
            record: (!o.no_record).then_some(&mut recorded),
            longest_idle: 0,
            first_shipment: u32::MAX,
            days_stepped: 0,
            port_days: 0,
            stretches: 0,
            split: false,
        };
        // Run twice: the second run must start afresh, and adds the same sums again.
        flow.run(&model, &topo, &net, &input, &mut out);
        flow.run(&model, &topo, &net, &input, &mut out);
        let (idle, stepped, stretches) = (out.longest_idle, out.days_stepped, out.stretches);
        let port_days = out.port_days;
        let (split, first_shipment) = (out.split, out.first_shipment);
        let mut through = Vec::new();
        for t in (0..model.n_targets()).filter(|_| !o.no_record) {
            for a in (0..n_days).step_by(7) {
                through.push(recorded.value(t, a as f64 + 0.25, a as f64 + 30.5));
            }
        }
        let half = |v: &[f64]| v.iter().map(|x| x / 2.0).collect::<Vec<_>>();
        Blockade {
            delivered: half(&delivered),
            stock_days: stock_days.iter().sum::<f64>() / 2.0,
            shipped: shipped.iter().sum::<f64>() / 2.0,
            idle,
            first_shipment,
            stepped,
            port_days,
            stretches,
            through,
            destroyed: half(&destroyed),
            split,
        }
    }

    fn assert_same(fast: &Blockade, slow: &Blockade) {
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0);
        let pairs = fast.delivered.iter().zip(&slow.delivered);
        let pairs = pairs.chain(fast.destroyed.iter().zip(&slow.destroyed));
        for (x, y) in pairs.chain(fast.through.iter().zip(&slow.through)) {
            assert!(close(*x, *y), "{x} vs {y}");
        }
        assert!(
            close(fast.stock_days, slow.stock_days),
            "{} vs {}",
            fast.stock_days,
            slow.stock_days
        );
        assert!(
            close(fast.shipped, slow.shipped),
            "{} vs {}",
            fast.shipped,
            slow.shipped
        );
        assert_eq!(fast.idle, slow.idle);
    }

    #[test]
    fn straight_stretches_are_accounted_in_one_step_and_equal_stepping_every_day() {
        let fast = blockade(BLOCKADE, false, true);
        let slow = blockade(BLOCKADE, true, false);
        let n_days = 365;
        assert_eq!(slow.stepped as usize, n_days);
        assert!(fast.split && !slow.split);
        assert_same(&fast, &slow);
        // The store fills for 30 days and drains for 20: without straight stretches,
        // those 50 days would each be stepped.
        assert!(
            fast.stepped < 30 && fast.stretches >= 2,
            "{} days stepped",
            fast.stepped
        );
        // 100 lost while full (days 80 to 90), the rest shipped.
        let want = 10.0 * n_days as f64 - 100.0 - 30.0;
        assert!((fast.shipped - want).abs() < 1e-9, "{}", fast.shipped);
    }

    #[test]
    fn straight_stretches_with_a_port_that_ships_shares_and_limits_the_roads() {
        let fast = blockade(PORT_BOUND, false, true);
        let slow = blockade(PORT_BOUND, true, false);
        // The port's room limits the roads: the run in parts is refused and the run is
        // done on the whole network.
        assert!(!fast.split);
        assert_same(&fast, &slow);
        // The port's stores drift (more arrives than it ships) until its room stops
        // the roads: the stretches taken here end where no store empties or fills.
        let whole = blockade(PORT_BOUND, false, false);
        assert_same(&whole, &slow);
        assert!(
            whole.stretches >= 1 && whole.stepped < 365,
            "{} {}",
            whole.stretches,
            whole.stepped
        );
        assert!(slow.stock_days > 0.0);
    }

    #[test]
    fn a_flow_steps_the_same_days_after_another_run_as_fresh() {
        use super::{Factors, Flow, Net, RunInput, RunOutput, Topology, set_bit};
        // The mine's store is still filling at the horizon when its road is cut from
        // day 200: the run ends in a straight stretch. The next run cuts it from day 0.
        let model = parse(
            &BLOCKADE.replace("inventory_max = 300", "inventory_max = 5000"),
            "t",
        )
        .unwrap();
        let topo = Topology::new(&model);
        let mut net = Net::default();
        crate::engine::trial::build_net(&model, &[], &mut net);
        let n_days = model.n_days as usize;
        let units = vec![vec![0.0]; model.sites.len()];
        let cut_from = |day: u32| {
            let mut off = vec![0; model.sites.len() + 1];
            off.push(1);
            let mut dirty = vec![0u64; n_days.div_ceil(64)];
            set_bit(&mut dirty, 0);
            set_bit(&mut dirty, day as usize);
            (
                Factors {
                    off,
                    items: vec![(day, 0.0)],
                },
                dirty,
            )
        };
        let run = |flow: &mut Flow, day: u32| {
            let (factors, dirty) = cut_from(day);
            let input = RunInput {
                units: &units,
                factors: Some(&factors),
                dirty: &dirty,
                losses: &[],
                every_day: false,
                split: true,
                idle_from: 0,
            };
            let mut delivered = vec![0.0; model.months.len()];
            let (mut stock_days, mut shipped) = (vec![0.0], vec![0.0]);
            let mut out = RunOutput {
                delivered: &mut delivered,
                port_stock_days: &mut stock_days,
                port_shipped: &mut shipped,
                destroyed: &mut [],
                record: None,
                longest_idle: 0,
                first_shipment: u32::MAX,
                days_stepped: 0,
                port_days: 0,
                stretches: 0,
                split: false,
            };
            flow.run(&model, &topo, &net, &input, &mut out);
            (out.days_stepped, out.stretches, shipped[0].to_bits())
        };
        let mut used = Flow::default();
        let first = run(&mut used, 200);
        assert!(first.1 >= 1, "the first run ends in a stretch");
        assert_eq!(run(&mut used, 0), run(&mut Flow::default(), 0));
    }

    #[test]
    fn a_probe_refuses_a_stretch_whose_flows_change_before_its_end() {
        let whole = blockade(YARD, false, false);
        let slow = blockade(YARD, true, false);
        assert_same(&whole, &slow);
        assert!(whole.stepped < 365, "{}", whole.stepped);
        // The yard's room limits the road: a run in parts is redone on the whole.
        let fast = blockade(YARD, false, true);
        assert!(!fast.split);
        assert_same(&fast, &slow);
        // With room to spare, the mine and the yard are stepped apart, as exactly.
        let roomy = yard_roomy();
        let (fast, slow) = (blockade(&roomy, false, true), blockade(&roomy, true, false));
        assert!(fast.split);
        assert_same(&fast, &slow);
    }

    /// `YARD` with a yard that never fills within the year.
    fn yard_roomy() -> String {
        YARD.replace("inventory_max = 300", "inventory_max = 100000")
    }

    /// `PORT_BOUND` with a port store that never fills within the year.
    fn port_drifting() -> String {
        PORT_BOUND.replace("inventory_max = 150", "inventory_max = 100000")
    }

    #[test]
    fn a_port_whose_stores_grow_without_limiting_the_roads_is_stepped_apart() {
        let text = port_drifting();
        let (fast, slow) = (blockade(&text, false, true), blockade(&text, true, false));
        // The port ships 12 of the 16 arriving a day: its stores grow all year, shared
        // between two commodities, but never so far that their room limits a road.
        assert!(fast.split);
        assert!(slow.stock_days > 0.0);
        assert_same(&fast, &slow);
    }

    #[test]
    fn ports_that_ship_what_arrives_skip_to_their_own_next_change() {
        // Without a record, a port with empty stores and capacity for everything its
        // roads can bring ships their arrivals run by run, up to its own next change; cut
        // from day 50 to 90, it fills, and is stepped until it has drained. The port of
        // `port_drifting` cannot ship all its roads could bring, and is always stepped.
        let (yard, drifting) = (yard_roomy(), port_drifting());
        for (text, site, idle, skips) in [
            (BLOCKADE, None, Some(40), true),
            (BLOCKADE, Some("port"), Some(40), true),
            (&yard, None, None, true),
            (&yard, Some("port"), Some(40), true),
            (&yard, Some("yard"), None, true),
            (&drifting, None, None, false),
        ] {
            let fast = blockade_of(text, false, true, false, site);
            let slow = blockade_of(text, true, false, false, site);
            assert!(fast.split, "{site:?}");
            assert_same(&fast, &slow);
            if let Some(idle) = idle {
                // The days the road or the port is cut.
                assert_eq!(slow.idle, idle, "{site:?}");
            }
            // With a record, the ports are stepped on each change of their arrivals.
            let stepped = blockade_of(text, false, true, true, site).port_days;
            assert_eq!(
                fast.port_days < stepped,
                skips,
                "{site:?}: {}",
                fast.port_days
            );
        }
    }

    /// `text` with `o`'s cut, run in parts (without a record) and on the whole network
    /// every day, which must agree; the run in parts.
    fn in_parts_and_every_day(text: &str, o: Opts) -> Blockade {
        let run = |every_day: bool| {
            let o = Opts {
                every_day,
                split: !every_day,
                no_record: true,
                ..o
            };
            blockade_with(&mut super::Flow::default(), text, o)
        };
        let fast = run(false);
        assert_same(&fast, &run(true));
        fast
    }

    #[test]
    fn a_steady_part_skips_a_change_that_does_not_limit_its_road() {
        // The mine makes 10 a day and its road carries 25: cut to 60% (15) or 40% (just
        // over 10, the level being an f32) the road still carries all, and the part
        // repeats its steady days over the change; cut to 20% (5) or closed it carries
        // less, and the part is stepped.
        let mut stepped = Vec::new();
        for level in [0.6, 0.4, 0.2, 0.0] {
            let o = Opts {
                level,
                ..Default::default()
            };
            stepped.push(in_parts_and_every_day(BLOCKADE, o).stepped);
        }
        // Not limited: the mine's part is stepped on day 0 only, and the port's part
        // ships what arrives in one go (the count is of the second run).
        assert_eq!(stepped[..2], [2, 2]);
        assert!(stepped[2] > 2 && stepped[3] > 2, "{stepped:?}");
    }

    #[test]
    fn a_flow_reused_across_runs_redone_on_the_whole_network_runs_as_fresh() {
        let o = Opts {
            split: true,
            no_record: true,
            ..Default::default()
        };
        let bits = |b: &Blockade| {
            let mut v: Vec<u64> = b.delivered.iter().map(|x| x.to_bits()).collect();
            v.extend([b.stock_days.to_bits(), b.shipped.to_bits()]);
            v.extend([b.idle, b.stepped, b.stretches, b.split as u32].map(u64::from));
            v
        };
        let (drifting, yard) = (port_drifting(), yard_roomy());
        let mut used = super::Flow::default();
        // Runs redone on the whole network (`PORT_BOUND`, `YARD`) between runs in parts.
        for (text, split) in [
            (PORT_BOUND, false),
            (&drifting, true),
            (YARD, false),
            (&yard, true),
            (BLOCKADE, true),
            (PORT_BOUND, false),
        ] {
            let b = blockade_with(&mut used, text, o);
            assert_eq!(b.split, split);
            let fresh = blockade_with(&mut super::Flow::default(), text, o);
            assert_eq!(bits(&b), bits(&fresh));
        }
    }

    #[test]
    fn cargo_losses_in_parts_equal_stepping_every_day() {
        use super::CargoLoss;
        let yard = yard_roomy();
        // Targets: the mine, the yard, the port, the road, the quay.
        let loss = |day: u32, target: u32, fraction: f64| CargoLoss {
            day,
            target,
            fraction,
            kind: 0,
        };
        let losses = [
            loss(20, 3, 0.5),   // cargo on the road
            loss(60, 1, 0.3),   // the yard's store
            loss(70, 2, 1.0),   // the port's stores (ending a stretch of shipping)
            loss(200, 4, 0.25), // cargo on the quay
        ];
        for site in [None, Some("port"), Some("yard")] {
            let o = Opts {
                split: true,
                no_record: true,
                site,
                losses: &losses,
                ..Default::default()
            };
            let fast = blockade_with(&mut super::Flow::default(), &yard, o);
            let whole = Opts {
                every_day: true,
                split: false,
                ..o
            };
            let slow = blockade_with(&mut super::Flow::default(), &yard, whole);
            assert!(fast.split, "{site:?}");
            assert_same(&fast, &slow);
            // The road, the yard and the quay always carry or hold something; the port
            // holds something on day 70 only while it is cut.
            let d = &slow.destroyed;
            assert!(d[0] > 0.0 && d[1] > 0.0 && d[3] > 0.0, "{site:?}: {d:?}");
            assert_eq!(d[2] > 0.0, site == Some("port"), "{site:?}: {d:?}");
        }
    }

    /// A mine with a road to one port and a standby road to another.
    const TWO_PORTS: &str = r#"
name = "two_ports"
start = "2026-01-01"
horizon = "2026-12-31"
[[commodities]]
name = "ore"
[[sites]]
name = "mine"
kind = "mine"
region = "A"
commodity = "ore"
capacity_per_day = 30
inventory_max = 500
[[sites]]
name = "east"
kind = "port"
region = "A"
capacity_per_day = 100
inventory_max = 1000
[[sites]]
name = "west"
kind = "port"
region = "A"
capacity_per_day = 100
inventory_max = 1000
[[routes]]
name = "road"
from = "mine"
to = "east"
regions = ["A"]
capacity_per_day = 40
transit_days = 2
[[routes]]
name = "standby"
from = "mine"
to = "west"
regions = ["A"]
capacity_per_day = 20
transit_days = 4
standby = true
"#;

    #[test]
    fn a_standby_road_to_a_second_port_in_parts_equals_stepping_every_day() {
        // While the road to the east is cut, the standby road carries 20 of the 30 a day
        // to the west, and the mine's store fills: no port ships only for the 4 days of
        // the standby road's transit.
        for record in [true, false] {
            let fast = blockade_of(TWO_PORTS, false, true, record, None);
            let slow = blockade_of(TWO_PORTS, true, false, record, None);
            assert!(fast.split);
            assert_same(&fast, &slow);
            assert_eq!(slow.idle, 4);
        }
        // With the east port itself cut, the road keeps loading and the port fills.
        let fast = blockade_of(TWO_PORTS, false, true, false, Some("east"));
        let slow = blockade_of(TWO_PORTS, true, false, false, Some("east"));
        assert_same(&fast, &slow);
        assert!(slow.stock_days > 0.0);
    }

    #[test]
    fn a_closed_standby_road_that_carries_nothing_is_skipped() {
        // The standby road loads and holds nothing while the road to the east is open:
        // closing it on day 50 changes nothing, and the mine's part is not stepped then
        // (it is on day 0, and on day 90, when the road opens again: a road that opens
        // always counts).
        let o = Opts {
            site: Some("standby"),
            ..Default::default()
        };
        let fast = in_parts_and_every_day(TWO_PORTS, o);
        // Two days of the mine's part, one window of shipping for the ports.
        assert_eq!(fast.stepped, 3);
    }

    /// A mine that makes more than its road carries, with a standby railway of far more
    /// capacity than the road can lose.
    const FILLING: &str = r#"
name = "filling"
start = "2026-01-01"
horizon = "2026-12-31"
[[commodities]]
name = "ore"
[[sites]]
name = "mine"
kind = "mine"
region = "A"
commodity = "ore"
capacity_per_day = 15
inventory_max = 300
[[sites]]
name = "port"
kind = "port"
region = "A"
capacity_per_day = 2000
inventory_max = 1000
[[routes]]
name = "road"
from = "mine"
to = "port"
regions = ["A"]
capacity_per_day = 12
transit_days = 3
[[routes]]
name = "rail"
from = "mine"
to = "port"
regions = ["A"]
capacity_per_day = 1000
transit_days = 4
standby = true
"#;

    #[test]
    fn a_mine_alone_in_its_part_fills_in_straight_stretches() {
        use super::CargoLoss;
        // The store fills by 3 a day up to day 50; the road is then cut to half, and
        // the railway carries the 6 it lost (not its own capacity), so the store fills
        // as before, until day 90 and beyond, when it overflows. Cargo is lost on the
        // railway on day 60 and half the store on day 70. (Targets: the mine, the
        // port, the road, the railway.)
        let loss = |day: u32, target: u32| CargoLoss {
            day,
            target,
            fraction: 0.5,
            kind: 0,
        };
        let losses = [loss(60, 3), loss(70, 0)];
        for (level, losses) in [(0.5, &[][..]), (0.5, &losses), (0.0, &losses)] {
            let o = Opts {
                level,
                losses,
                ..Default::default()
            };
            let fast = in_parts_and_every_day(FILLING, o);
            // The mine's part steps a few days around each change, and moves in
            // straight stretches in between (it would step each of the days while the
            // railway carries, were it taken to be limited by its own capacity).
            let mine = fast.stepped - fast.port_days;
            assert!(
                mine <= 12 && fast.stretches >= 3,
                "{level} {losses:?}: {mine}"
            );
        }
    }

    #[test]
    fn a_mine_alone_in_its_part_drains_and_fills_in_straight_stretches_with_a_record() {
        // The store starts with 200 and drains by 15 a day, fills by 10 a day while the
        // road is cut (days 50 to 90), and drains again; with and without a record of
        // the value through each target, which must be the same as stepping every day.
        let text = BLOCKADE.replacen(
            "inventory_max = 300",
            "inventory_max = 300\ninitial_inventory = 200",
            1,
        );
        for record in [true, false] {
            let fast = blockade_of(&text, false, true, record, None);
            let slow = blockade_of(&text, true, false, record, None);
            assert!(fast.split);
            assert_same(&fast, &slow);
            let mine = fast.stepped - fast.port_days;
            assert!(
                mine <= 8 && fast.stretches >= 3,
                "{record}: {mine} {}",
                fast.stretches
            );
        }
    }

    #[test]
    fn days_without_shipments_count_from_the_given_day() {
        // The mine opens on day 45 and its first load arrives on day 48 (3 days of
        // transit); the road is closed from day 50 to day 90, so nothing arrives from day
        // 53 (the last load of day 49, plus 3) until day 93: 40 days.
        for every_day in [false, true] {
            let run = |idle_from: usize| {
                let o = Opts {
                    every_day,
                    split: !every_day,
                    online: 45,
                    idle_from,
                    ..Default::default()
                };
                blockade_with(&mut super::Flow::default(), BLOCKADE, o)
            };
            let from_start = run(0);
            assert_eq!(from_start.first_shipment, 48);
            // Counted from day 0, the 48 days before the first arrival are the longest.
            assert_eq!(from_start.idle, 48);
            let from_first = run(48);
            assert_eq!(from_first.first_shipment, 48);
            assert_eq!(from_first.idle, 40, "every day: {every_day}");
        }
    }

    #[test]
    fn a_mine_alone_in_its_part_waits_for_its_first_unit_without_stepping() {
        // The mine comes online on day 120; before that, its road is cut from day 50 to
        // day 90 (a cut of a road beside a standby road always counts as a change).
        let o = Opts {
            level: 0.5,
            online: 120,
            ..Default::default()
        };
        let fast = in_parts_and_every_day(FILLING, o);
        // Day 0, day 120 (then a straight stretch until the store is about to overflow)
        // and a day or so until it stands; were the cuts stepped, two days more.
        let mine = fast.stepped - fast.port_days;
        assert!(mine <= 4, "{mine}");
        assert!(fast.shipped > 0.0);
        // A mine already online that makes nothing because it is cut, with an empty
        // store and empty pipelines on day 70 (when a loss on its road finds nothing),
        // starts again on day 90.
        let losses = [super::CargoLoss {
            day: 70,
            target: 2,
            fraction: 0.5,
            kind: 0,
        }];
        let o = Opts {
            site: Some("mine"),
            losses: &losses,
            ..Default::default()
        };
        let fast = in_parts_and_every_day(BLOCKADE, o);
        assert!(fast.shipped > 2000.0, "{}", fast.shipped);
    }

    /// A mine whose road to a refinery is held back by the refinery's full store, with a
    /// standby road to the port that may carry what the first road's cuts take away.
    const HELD_BACK: &str = r#"
name = "held_back"
start = "2026-01-01"
horizon = "2026-12-31"
[[commodities]]
name = "ore"
[[commodities]]
name = "metal"
[[sites]]
name = "mine"
kind = "mine"
region = "A"
commodity = "ore"
capacity_per_day = 10
inventory_max = 100
[[sites]]
name = "refinery"
kind = "plant"
region = "A"
input = "ore"
output = "metal"
yield = 1
capacity_per_day = 5
inventory_max = 30
[[sites]]
name = "port"
kind = "port"
region = "A"
capacity_per_day = 100
inventory_max = 1000
[[routes]]
name = "to_refinery"
from = "mine"
to = "refinery"
regions = ["A"]
capacity_per_day = 20
transit_days = 1
[[routes]]
name = "standby"
from = "mine"
to = "port"
regions = ["A"]
capacity_per_day = 20
transit_days = 2
standby = true
[[routes]]
name = "metal_out"
from = "refinery"
to = "port"
regions = ["A"]
capacity_per_day = 100
transit_days = 1
"#;

    #[test]
    fn a_cut_that_frees_a_standby_road_is_stepped_even_when_it_does_not_limit_the_road() {
        // By day 50 the refinery's store is full and the first road carries only the 5 a
        // day it takes. Cut to 60% (12) the road could still carry that, but the 8 it
        // lost may go by the standby road, which now carries the mine's store away.
        let o = Opts {
            level: 0.6,
            ..Default::default()
        };
        let cut = in_parts_and_every_day(HELD_BACK, o).shipped;
        let o = Opts {
            level: 1.0,
            ..Default::default()
        };
        let uncut = in_parts_and_every_day(HELD_BACK, o).shipped;
        // The standby road takes up to 8 a day out of the mine's full store for the 40
        // days of the cut, until the store runs out: about 300 more shipped.
        assert!(cut - uncut > 250.0, "{cut} vs {uncut}");
    }

    #[test]
    fn the_baseline_is_cut_at_its_ports_and_stockpiles() {
        let model = crate::scenario::baseline();
        let topo = super::Topology::new(&model);
        let names = |p: &super::Part| -> Vec<&str> {
            (p.targets.iter())
                .filter(|&&t| t < model.sites.len())
                .map(|&t| model.sites[t].name.as_str())
                .collect()
        };
        let parts: Vec<Vec<&str>> = topo.parts.iter().map(names).collect();
        assert_eq!(
            parts,
            [
                vec!["chagai_copper"],
                vec!["qilla_antimony"],
                vec!["chitral_antimony"],
                vec!["gilgit_ree"],
                vec!["ree_mines"],
                vec!["karachi_yard", "ree_refinery"],
                vec!["karachi_port"],
            ]
        );
        // Each route belongs to the part of the site it leaves; only those into the yard
        // and the port join two parts.
        let cut: Vec<&str> = (0..model.routes.len())
            .filter(|&r| topo.route_cut[r])
            .map(|r| model.routes[r].name.as_str())
            .collect();
        assert!(!cut.contains(&"yard_refinery"), "{cut:?}");
        assert_eq!(cut.len(), model.routes.len() - 1, "{cut:?}");
        // Two yards that feed each other are refused (they could not be put in order).
        let circle = YARD.replace("inventory_max = 300", "inventory_max = 300\n[[sites]]\nname = \"yard2\"\nkind = \"stockpile\"\nregion = \"A\"\ncommodity = \"ore\"\ncapacity_per_day = 5\ninventory_max = 50")
            + "[[routes]]\nname = \"there\"\nfrom = \"yard\"\nto = \"yard2\"\nregions = [\"A\"]\ncapacity_per_day = 5\ntransit_days = 1\n[[routes]]\nname = \"back\"\nfrom = \"yard2\"\nto = \"yard\"\nregions = [\"A\"]\ncapacity_per_day = 5\ntransit_days = 1\n";
        let refused = parse(&circle, "circle").unwrap_err().to_string();
        assert!(
            refused
                .contains("routes[there]: is on a loop of primary routes (yard -> yard2 -> yard)"),
            "{refused}"
        );
    }

    #[test]
    fn stepping_every_day_in_parts_gives_the_very_same_numbers_as_on_the_whole_network() {
        // Each store meets the same operations in the same order either way.
        for text in [BLOCKADE, &yard_roomy(), &port_drifting()] {
            let (parts, whole) = (blockade(text, true, true), blockade(text, true, false));
            assert!(parts.split && !whole.split);
            let bits = |b: &Blockade| {
                let mut v: Vec<u64> = b.delivered.iter().map(|x| x.to_bits()).collect();
                v.extend(b.through.iter().map(|x| x.to_bits()));
                v.extend([b.stock_days.to_bits(), b.shipped.to_bits(), b.idle as u64]);
                v
            };
            assert_eq!(bits(&parts), bits(&whole));
        }
    }

    #[test]
    fn record_integrates_runs_like_summing_every_day() {
        use super::Record;
        use crate::engine::rng::stream;
        use rand::RngExt;
        let n_days = 50;
        let mut rng = stream(11, 0, 0);
        let mut rec = Record::default();
        rec.clear(1, n_days);
        let mut daily = vec![0.0f32; n_days];
        let mut d = 0;
        while d < n_days {
            let v = [0.0, 2.5, rng.random::<f32>() * 100.0][rng.random_range(0..3)];
            let len = rng.random_range(1..6).min(n_days - d);
            rec.set(0, d, v);
            daily[d..d + len].fill(v);
            d += len;
        }
        for _ in 0..1000 {
            let a = rng.random::<f64>() * 55.0 - 2.0;
            let b = a + rng.random::<f64>() * 20.0;
            let want: f64 = (0..n_days)
                .map(|d| {
                    let cover = (b.min(d as f64 + 1.0) - a.max(d as f64)).max(0.0);
                    cover * daily[d] as f64
                })
                .sum();
            let got = rec.value(0, a, b);
            // The same terms, grouped by run instead of by day.
            assert!(
                (got - want).abs() <= 1e-12 * want.max(1.0),
                "[{a}, {b}): {got} vs {want}"
            );
        }
    }

    #[test]
    fn a_port_without_a_store_passes_on_what_it_can_ship_each_day() {
        // A full yard loads towards a port that ships 10 a day: with no store at the
        // port, the road still carries 10 a day (it once carried 10 every other day, the
        // day's arrivals taking the room of the loads that would arrive on a later day).
        let yard = TINY
            .replace("initial_inventory = 100\n", "initial_inventory = 100000\n")
            .replace(
                "capacity_per_day = 10\ninventory_max = 1000\n",
                "capacity_per_day = 50\ninventory_max = 100000\n",
            )
            .replace("capacity_per_day = 7\n", "capacity_per_day = 50\n");
        // (A store of a few days' shipping can still overshoot, as the README's limits
        // say: the room counts the store, not the cargo on its way.)
        for store in ["0", "1000"] {
            let text = yard.replace(
                "capacity_per_day = 1000\ninventory_max = 1000\n",
                &format!("capacity_per_day = 10\ninventory_max = {store}\n"),
            );
            assert_ne!(text, yard);
            let c = Compiled::new(parse(&text, "tiny").unwrap());
            let o = c.trial(1, 0);
            // Shipped from day 3 (the first arrival) to day 364.
            assert_eq!(o.counterfactual_yearly, [3620.0], "store {store}");
        }
    }

    const TWO_INTO_ONE: &str = r#"
name = "two"
start = "2026-01-01"
horizon = "2026-12-31"
[[commodities]]
name = "a"
[[commodities]]
name = "b"
[[sites]]
name = "ma"
kind = "mine"
region = "R"
commodity = "a"
capacity_per_day = 100
inventory_max = 1000
[[sites]]
name = "mb"
kind = "mine"
region = "R"
commodity = "COMMODITY"
capacity_per_day = 50
inventory_max = 1000
[[sites]]
name = "port"
kind = "port"
region = "R"
capacity_per_day = 90
inventory_max = STORE
[[routes]]
name = "ra"
from = "ma"
to = "port"
regions = ["R"]
capacity_per_day = 200
transit_days = 3
[[routes]]
name = "rb"
from = "mb"
to = "port"
regions = ["R"]
capacity_per_day = 200
transit_days = 3
"#;

    #[test]
    fn routes_into_one_port_share_its_room_and_its_day_of_shipping() {
        // Two mines that make more than the port ships: with or without a store, of one
        // commodity or two, the port ships 90 a day from the first arrival (day 3) on.
        // (Each road once counted the whole room, and a day's shipping as room for each
        // store: 24,520 and 29,029 with no store, and closing a road raised deliveries.)
        for (commodity, store) in [("a", "0"), ("b", "0"), ("a", "100000"), ("b", "100000")] {
            let text = TWO_INTO_ONE
                .replace("COMMODITY", commodity)
                .replace("STORE", store);
            let c = Compiled::new(parse(&text, "two").unwrap());
            // (One year for each commodity.)
            let shipped: f64 = c.trial(1, 0).counterfactual_yearly.iter().sum();
            // (Shares of a day's shipping may not add up to 90 to the last bit.)
            assert!(
                (shipped - 32580.0).abs() < 1e-9,
                "{commodity} {store}: {shipped}"
            );
            // The first road closed from day 50 to day 90: the same in parts as on every
            // day, and no more shipped than without it (less without a store, which
            // holds no backlog to ship meanwhile).
            let cut = in_parts_and_every_day(&text, Opts::default());
            assert!(
                cut.shipped <= 32580.0,
                "{commodity} {store}: {}",
                cut.shipped
            );
            assert!(store != "0" || cut.shipped < 32580.0, "{}", cut.shipped);
        }
    }

    #[test]
    fn a_stockpile_ships_exactly_its_inventory() {
        let c = Compiled::new(parse(TINY, "tiny").unwrap());
        let o = c.trial(1, 0);
        assert!(
            (o.counterfactual_yearly[0] - 100.0).abs() < 1e-9,
            "{:?}",
            o.counterfactual_yearly
        );
        assert_eq!(o.counterfactual_yearly, o.delivered_yearly);
    }
}
