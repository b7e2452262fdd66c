//! The one lease table every single-instance job uses: a holder keeps it and renews it, another
//! is refused until it is given back or runs out (by the database's clock).

use chrono::Duration;
use courrier::db::leases;
use courrier::db::schema::leases as table;
use diesel::prelude::*;

use super::{db_now, spawn_with};
use crate::helpers::Backend;
use crate::on_both_backends;

async fn a_lease_refuses_a_second_holder_until_given_back_or_run_out(b: Backend) {
    let (app, _) = spawn_with(b, |_| {}).await;
    app.with_conn(|c| {
        assert!(leases::take(c, "job", "a", 60_000).unwrap(), "free: taken");
        assert!(
            !leases::take(c, "job", "b", 60_000).unwrap(),
            "held: refused"
        );
        assert!(
            leases::take(c, "job", "a", 60_000).unwrap(),
            "its holder renews it"
        );
        assert!(
            leases::take(c, "other job", "b", 60_000).unwrap(),
            "leases are by name"
        );
        assert_eq!(leases::holder(c, "job").unwrap().as_deref(), Some("a"));
        // Giving back is only for the holder.
        leases::release(c, "job", "b").unwrap();
        assert!(!leases::take(c, "job", "b", 60_000).unwrap());
        leases::release(c, "job", "a").unwrap();
        assert_eq!(leases::holder(c, "job").unwrap(), None);
        assert!(
            leases::take(c, "job", "b", 60_000).unwrap(),
            "given back: taken"
        );
    });
    // A holder that stopped renewing: its lease runs out by the database's clock.
    let past = db_now(&app) - Duration::seconds(1);
    app.with_conn(|c| {
        diesel::update(table::table.filter(table::name.eq("job")))
            .set(table::lease_until.eq(past))
            .execute(c)
            .unwrap();
        assert!(
            leases::take(c, "job", "c", 60_000).unwrap(),
            "run out: taken"
        );
        assert!(!leases::take(c, "job", "b", 60_000).unwrap());
    });
}

/// Two instances asking at the same moment: exactly one gets it.
async fn two_instances_taking_at_once_get_it_once(b: Backend) {
    let (app, _) = spawn_with(b, |_| {}).await;
    for round in 0..10 {
        let name = format!("race {round}");
        let takers: Vec<_> = (0..4)
            .map(|i| {
                let pool = app.pool.clone();
                let name = name.clone();
                tokio::spawn(async move {
                    courrier::db::run(&pool, move |c| {
                        leases::take(c, &name, &format!("i{i}"), 60_000)
                    })
                    .await
                    .unwrap()
                })
            })
            .collect();
        let mut won = 0;
        for t in takers {
            if t.await.unwrap() {
                won += 1;
            }
        }
        assert_eq!(won, 1, "round {round}");
    }
}

on_both_backends!(
    a_lease_refuses_a_second_holder_until_given_back_or_run_out,
    two_instances_taking_at_once_get_it_once,
);
