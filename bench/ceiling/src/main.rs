//! What actix-web alone reaches on this machine with a member list of the same shape as
//! Tenantry's, held in memory: `GET /members` serialises it on every request, `GET
//! /members/bytes` sends it pre-serialised. `bench/compare.sh` measures both beside Tenantry.
//!
//! Usage: `tenantry-bench-ceiling [PORT] [MEMBERS]` (18090 and 1000 by default).

use actix_web::{App, HttpResponse, HttpServer, web};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Member {
    user_id: String,
    username: String,
    email: String,
    role: String,
    role_name: String,
    joined_at: String,
}

#[derive(Serialize)]
struct MemberList<'a> {
    members: &'a [Member],
}

struct Ceiling {
    members: Vec<Member>,
    serialised: web::Bytes,
}

fn members(count: usize) -> Vec<Member> {
    (0..count)
        .map(|n| Member {
            user_id: format!("019ad3c4-5e6f-7a8b-9c0d-{n:012x}"),
            username: format!("Member number {n}"),
            email: format!("member-{n}@bench.example.com"),
            role: "member".to_owned(),
            role_name: "member".to_owned(),
            joined_at: format!("2026-12-01T10:{:02}:{:02}.123456Z", n / 60 % 60, n % 60),
        })
        .collect()
}

async fn serialise(ceiling: web::Data<Ceiling>) -> HttpResponse {
    HttpResponse::Ok().json(MemberList {
        members: &ceiling.members,
    })
}

async fn bytes(ceiling: web::Data<Ceiling>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(ceiling.serialised.clone())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|a| a.parse().ok()).unwrap_or(18090);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let members = members(count);
    let serialised = serde_json::to_vec(&MemberList { members: &members })?.into();
    let ceiling = web::Data::new(Ceiling {
        members,
        serialised,
    });
    HttpServer::new(move || {
        App::new()
            .app_data(ceiling.clone())
            .route("/members", web::get().to(serialise))
            .route("/members/bytes", web::get().to(bytes))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
