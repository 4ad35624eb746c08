//! The SCIM endpoints of one org (RFC 7644 §3): discovery, Users, Groups and searches.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use tenantry_domain::Services;
use tenantry_domain::directory::{
    DirectoryCaller, DirectoryError, DirectoryGroupRecord, DirectoryToken, DirectoryUserRecord,
};
use tenantry_domain::ids::{OrgId, ScimGroupId, UserId};

use crate::error::{SCIM_JSON, ScimError};
use crate::filter::{self, AttrPath, Filter};
use crate::patch::{self, PatchRequest};
use crate::resource::{self, Base, Kind};

/// Tells who is asking, for the audit log: the socket peer, or a trusted proxy's word.
pub type ClientAddress = Arc<dyn Fn(&HttpRequest) -> Option<IpAddr> + Send + Sync>;

/// What the SCIM handlers share.
#[derive(Clone)]
pub struct ScimState {
    /// The domain's use cases.
    pub services: Services,
    /// Who is asking.
    pub client_address: ClientAddress,
}

/// The schema of list and search answers.
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// The schema of a search body.
const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// A page holds this many resources unless the client asks for fewer.
const DEFAULT_COUNT: usize = 100;
/// The most a page holds; `ServiceProviderConfig` says so as `filter.maxResults`.
pub const MAX_COUNT: usize = 1000;
/// A PATCH retries this many times when another change slips in between its read and write.
const PATCH_ATTEMPTS: usize = 3;
/// A PUT of a group of 10,000 members is about 1.5 MB.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

const SERVICE_PROVIDER_CONFIG: &str = include_str!("discovery/service_provider_config.json");
const RESOURCE_TYPES: &str = include_str!("discovery/resource_types.json");
const SCHEMAS: &str = include_str!("discovery/schemas.json");

/// Registers the endpoints; the scope's path holds `{orgId}`. A known path asked with a
/// method it does not serve answers 405, an unknown path 404.
pub fn register(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str| web::resource(path).default_service(web::to(method_not_allowed));
    cfg.service(resource("/ServiceProviderConfig").get(service_provider_config))
        .service(resource("/ResourceTypes").get(resource_types))
        .service(resource("/ResourceTypes/{id}").get(resource_type))
        .service(resource("/Schemas").get(schemas))
        .service(resource("/Schemas/{id}").get(schema))
        .service(resource("/.search").post(search_all))
        .service(resource("/Users").get(list_users).post(create::<Users>))
        .service(resource("/Users/.search").post(search_users))
        .service(
            resource("/Users/{id}")
                .get(get::<Users>)
                .put(replace::<Users>)
                .patch(patch::<Users>)
                .delete(delete::<Users>),
        )
        .service(resource("/Groups").get(list_groups).post(create::<Groups>))
        .service(resource("/Groups/.search").post(search_groups))
        .service(
            resource("/Groups/{id}")
                .get(get::<Groups>)
                .put(replace::<Groups>)
                .patch(patch::<Groups>)
                .delete(delete::<Groups>),
        );
}

async fn method_not_allowed() -> HttpResponse {
    actix_web::ResponseError::error_response(&ScimError::method_not_allowed())
}

/// The identity provider, known by its token, at its own org's endpoint.
pub struct Caller {
    caller: DirectoryCaller,
    state: web::Data<ScimState>,
    base: Base,
}

impl FromRequest for Caller {
    type Error = ScimError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ScimError>>>>;

    fn from_request(request: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let state = request
                .app_data::<web::Data<ScimState>>()
                .cloned()
                .ok_or_else(ScimError::unauthorized)?;
            let presented = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| {
                    value
                        .strip_prefix("Bearer ")
                        .or_else(|| value.strip_prefix("bearer "))
                })
                .ok_or_else(ScimError::unauthorized)?;
            let token = DirectoryToken::from_presented(presented.trim());
            let ip = (state.client_address)(&request);
            let caller = match state.services.directory.authenticate(&token, ip).await {
                Ok(caller) => caller,
                Err(DirectoryError::InvalidToken) => return Err(ScimError::unauthorized()),
                Err(error) => return Err(error.into()),
            };
            // A token reaches its own org's endpoint and no other.
            let path_org = request
                .match_info()
                .get("orgId")
                .and_then(|id| id.parse::<OrgId>().ok());
            if path_org != Some(caller.org_id) {
                return Err(ScimError::unauthorized());
            }
            let base = base_url(&request, caller.org_id);
            Ok(Self {
                caller,
                state,
                base,
            })
        })
    }
}

fn base_url(request: &HttpRequest, org: OrgId) -> Base {
    let info = request.connection_info();
    Base(format!("{}://{}/scim/v2/{org}", info.scheme(), info.host()))
}

fn scim_json(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(SCIM_JSON)
        .body(body.to_string())
}

/// A resource with its `ETag`, and `Location` when it was just made.
fn resource_response(status: StatusCode, body: &Value, version: u64) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.content_type(SCIM_JSON);
    response.insert_header((header::ETAG, resource::etag(version)));
    if status == StatusCode::CREATED
        && let Some(location) = body["meta"]["location"].as_str()
    {
        response.insert_header((header::LOCATION, location.to_owned()));
    }
    response.body(body.to_string())
}

fn parse_body(body: &[u8]) -> Result<Value, ScimError> {
    serde_json::from_slice(body).map_err(|error| {
        ScimError::bad_request("invalidSyntax", format!("the body is not JSON: {error}"))
    })
}

fn if_match(request: &HttpRequest) -> Result<Option<u64>, ScimError> {
    match request
        .headers()
        .get(header::IF_MATCH)
        .and_then(|value| value.to_str().ok())
    {
        None => Ok(None),
        Some(tag) if tag.trim() == "*" => Ok(None),
        Some(tag) => resource::version_of(tag).map(Some).ok_or_else(|| {
            ScimError::bad_request("invalidVers", "If-Match names no version of this resource")
        }),
    }
}

// ---- Discovery ----------------------------------------------------------------------------

fn with_location(mut document: Value, location: String) -> Value {
    if let Some(meta) = document.get_mut("meta").and_then(Value::as_object_mut) {
        meta.insert("location".into(), location.into());
    }
    document
}

fn parsed(document: &str) -> Value {
    serde_json::from_str(document).unwrap_or(Value::Null)
}

fn list_of(resources: Vec<Value>, total: usize, start: usize) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

async fn service_provider_config(caller: Caller) -> HttpResponse {
    let location = format!("{}/ServiceProviderConfig", caller.base.0);
    scim_json(
        StatusCode::OK,
        &with_location(parsed(SERVICE_PROVIDER_CONFIG), location),
    )
}

fn discovered(caller: &Caller, document: &str, endpoint: &str, id_of: &str) -> Vec<Value> {
    let Value::Array(items) = parsed(document) else {
        return Vec::new();
    };
    items
        .into_iter()
        .map(|item| {
            let id = item[id_of].as_str().unwrap_or_default().to_owned();
            with_location(item, format!("{}/{endpoint}/{id}", caller.base.0))
        })
        .collect()
}

async fn resource_types(caller: Caller) -> HttpResponse {
    let items = discovered(&caller, RESOURCE_TYPES, "ResourceTypes", "id");
    let total = items.len();
    scim_json(StatusCode::OK, &list_of(items, total, 1))
}

async fn resource_type(
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ScimError> {
    let (_, id) = path.into_inner();
    discovered(&caller, RESOURCE_TYPES, "ResourceTypes", "id")
        .into_iter()
        .find(|item| item["id"] == id.as_str())
        .map(|item| scim_json(StatusCode::OK, &item))
        .ok_or_else(|| ScimError::not_found(format!("no resource type {id}")))
}

async fn schemas(caller: Caller) -> HttpResponse {
    let items = discovered(&caller, SCHEMAS, "Schemas", "id");
    let total = items.len();
    scim_json(StatusCode::OK, &list_of(items, total, 1))
}

async fn schema(
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ScimError> {
    let (_, id) = path.into_inner();
    discovered(&caller, SCHEMAS, "Schemas", "id")
        .into_iter()
        .find(|item| item["id"] == id.as_str())
        .map(|item| scim_json(StatusCode::OK, &item))
        .ok_or_else(|| ScimError::not_found(format!("no schema {id}")))
}

/// Any other path under the endpoint.
pub async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&ScimError::not_found("no such endpoint"))
}

// ---- Queries -------------------------------------------------------------------------------

/// What a list or search asks for, from the query string or a search body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Query {
    filter: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
    attributes: Option<Names>,
    excluded_attributes: Option<Names>,
    #[serde(default)]
    schemas: Vec<String>,
}

/// Attribute names: comma-separated in a query string, a list in a search body.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Names {
    Text(String),
    List(Vec<String>),
}

impl Names {
    fn paths(names: Option<&Names>) -> Result<Vec<AttrPath>, ScimError> {
        let names: Vec<&str> = match names {
            None => Vec::new(),
            Some(Names::Text(text)) => text.split(',').collect(),
            Some(Names::List(list)) => list.iter().map(String::as_str).collect(),
        };
        names
            .into_iter()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| AttrPath::parse(name).map_err(|error| ScimError::invalid_value(error.0)))
            .collect()
    }
}

/// A parsed query: what to keep, which page and which attributes.
struct Plan {
    filter: Option<Filter>,
    start: usize,
    count: usize,
    attributes: Vec<AttrPath>,
    excluded: Vec<AttrPath>,
}

impl Plan {
    fn new(query: &Query) -> Result<Self, ScimError> {
        let filter = query.filter.as_deref().map(filter::parse).transpose()?;
        let start = usize::try_from(query.start_index.unwrap_or(1).max(1)).unwrap_or(1);
        let count = usize::try_from(query.count.unwrap_or(DEFAULT_COUNT as i64).max(0))
            .unwrap_or(0)
            .min(MAX_COUNT);
        Ok(Self {
            filter,
            start,
            count,
            attributes: Names::paths(query.attributes.as_ref())?,
            excluded: Names::paths(query.excluded_attributes.as_ref())?,
        })
    }

    fn user_name_lookup(&self) -> Option<&str> {
        self.filter
            .as_ref()
            .and_then(Filter::as_simple_eq)
            .filter(|(attr, _)| attr.eq_ignore_ascii_case("userName"))
            .map(|(_, value)| value)
    }

    /// The page of the matching resources, each narrowed as asked.
    fn answer(&self, kinds: Vec<(Kind, Value)>) -> Value {
        let matching: Vec<Value> = kinds
            .into_iter()
            .filter(|(kind, resource)| {
                self.filter
                    .as_ref()
                    .is_none_or(|filter| filter.matches(resource, &|path| kind.case_exact(path)))
            })
            .map(|(_, resource)| resource)
            .collect();
        let total = matching.len();
        let page = matching
            .into_iter()
            .skip(self.start - 1)
            .take(self.count)
            .map(|mut resource| {
                resource::project(&mut resource, &self.attributes, &self.excluded);
                resource
            })
            .collect();
        list_of(page, total, self.start)
    }
}

async fn users_of(caller: &Caller, plan: &Plan) -> Result<Vec<(Kind, Value)>, ScimError> {
    let records = caller
        .state
        .services
        .directory
        .users(&caller.caller, plan.user_name_lookup())
        .await?;
    Ok(records
        .iter()
        .map(|record| (Kind::User, resource::user_json(record, &caller.base)))
        .collect())
}

async fn groups_of(caller: &Caller) -> Result<Vec<(Kind, Value)>, ScimError> {
    let records = caller
        .state
        .services
        .directory
        .groups(&caller.caller)
        .await?;
    Ok(records
        .iter()
        .map(|record| (Kind::Group, resource::group_json(record, &caller.base)))
        .collect())
}

fn search_body(body: &[u8]) -> Result<Query, ScimError> {
    let query: Query = serde_json::from_slice(body).map_err(|error| {
        ScimError::bad_request("invalidSyntax", format!("not a search request: {error}"))
    })?;
    if !query.schemas.iter().any(|schema| schema == SEARCH_SCHEMA) {
        return Err(ScimError::bad_request(
            "invalidSyntax",
            format!("a search body lists the schema {SEARCH_SCHEMA}"),
        ));
    }
    Ok(query)
}

fn list_query(request: &HttpRequest) -> Result<Query, ScimError> {
    web::Query::<Query>::from_query(request.query_string())
        .map(web::Query::into_inner)
        .map_err(|error| ScimError::invalid_value(format!("query: {error}")))
}

async fn list_users(caller: Caller, request: HttpRequest) -> Result<HttpResponse, ScimError> {
    let plan = Plan::new(&list_query(&request)?)?;
    let users = users_of(&caller, &plan).await?;
    Ok(scim_json(StatusCode::OK, &plan.answer(users)))
}

async fn search_users(caller: Caller, body: web::Bytes) -> Result<HttpResponse, ScimError> {
    let plan = Plan::new(&search_body(&body)?)?;
    let users = users_of(&caller, &plan).await?;
    Ok(scim_json(StatusCode::OK, &plan.answer(users)))
}

async fn list_groups(caller: Caller, request: HttpRequest) -> Result<HttpResponse, ScimError> {
    let plan = Plan::new(&list_query(&request)?)?;
    let groups = groups_of(&caller).await?;
    Ok(scim_json(StatusCode::OK, &plan.answer(groups)))
}

async fn search_groups(caller: Caller, body: web::Bytes) -> Result<HttpResponse, ScimError> {
    let plan = Plan::new(&search_body(&body)?)?;
    let groups = groups_of(&caller).await?;
    Ok(scim_json(StatusCode::OK, &plan.answer(groups)))
}

/// A search over users and groups at once (RFC 7644 §3.4.3).
async fn search_all(caller: Caller, body: web::Bytes) -> Result<HttpResponse, ScimError> {
    let plan = Plan::new(&search_body(&body)?)?;
    let mut resources = users_of(&caller, &plan).await?;
    if plan.user_name_lookup().is_none() {
        resources.extend(groups_of(&caller).await?);
    }
    Ok(scim_json(StatusCode::OK, &plan.answer(resources)))
}

// ---- Users and groups ----------------------------------------------------------------------

/// What the handlers of `/Users/{id}` and `/Groups/{id}` need of their kind of resource.
trait Resource {
    type Id: std::str::FromStr + Copy;
    type Record;
    const KIND: Kind;
    const NOT_FOUND: &'static str;

    async fn create(caller: &Caller, body: &Value) -> Result<Self::Record, ScimError>;
    async fn find(caller: &Caller, id: Self::Id) -> Result<Self::Record, DirectoryError>;
    /// The outer error refuses the body; the inner one is the use case's.
    async fn replace(
        caller: &Caller,
        id: Self::Id,
        body: &Value,
        version: Option<u64>,
    ) -> Result<Result<Self::Record, DirectoryError>, ScimError>;
    async fn delete(caller: &Caller, id: Self::Id) -> Result<(), DirectoryError>;
    fn version(record: &Self::Record) -> u64;
    fn render(record: &Self::Record, base: &Base) -> Value;
}

/// `/Users`: people the directory manages.
struct Users;

impl Resource for Users {
    type Id = UserId;
    type Record = DirectoryUserRecord;
    const KIND: Kind = Kind::User;
    const NOT_FOUND: &'static str = "user not found";

    async fn create(caller: &Caller, body: &Value) -> Result<Self::Record, ScimError> {
        let user = resource::user_from_json(body)?;
        let directory = &caller.state.services.directory;
        Ok(directory.create_user(&caller.caller, user).await?)
    }

    async fn find(caller: &Caller, id: UserId) -> Result<Self::Record, DirectoryError> {
        caller
            .state
            .services
            .directory
            .user(&caller.caller, id)
            .await
    }

    async fn replace(
        caller: &Caller,
        id: UserId,
        body: &Value,
        version: Option<u64>,
    ) -> Result<Result<Self::Record, DirectoryError>, ScimError> {
        let user = resource::user_from_json(body)?;
        let directory = &caller.state.services.directory;
        Ok(directory
            .replace_user(&caller.caller, id, user, version)
            .await)
    }

    async fn delete(caller: &Caller, id: UserId) -> Result<(), DirectoryError> {
        caller
            .state
            .services
            .directory
            .delete_user(&caller.caller, id)
            .await
    }

    fn version(record: &Self::Record) -> u64 {
        record.version
    }

    fn render(record: &Self::Record, base: &Base) -> Value {
        resource::user_json(record, base)
    }
}

/// `/Groups`: groups whose members the org's settings may give a role.
struct Groups;

impl Resource for Groups {
    type Id = ScimGroupId;
    type Record = DirectoryGroupRecord;
    const KIND: Kind = Kind::Group;
    const NOT_FOUND: &'static str = "group not found";

    async fn create(caller: &Caller, body: &Value) -> Result<Self::Record, ScimError> {
        let group = resource::group_from_json(body)?;
        let directory = &caller.state.services.directory;
        Ok(directory.create_group(&caller.caller, group).await?)
    }

    async fn find(caller: &Caller, id: ScimGroupId) -> Result<Self::Record, DirectoryError> {
        caller
            .state
            .services
            .directory
            .group(&caller.caller, id)
            .await
    }

    async fn replace(
        caller: &Caller,
        id: ScimGroupId,
        body: &Value,
        version: Option<u64>,
    ) -> Result<Result<Self::Record, DirectoryError>, ScimError> {
        let group = resource::group_from_json(body)?;
        let directory = &caller.state.services.directory;
        Ok(directory
            .replace_group(&caller.caller, id, group, version)
            .await)
    }

    async fn delete(caller: &Caller, id: ScimGroupId) -> Result<(), DirectoryError> {
        caller
            .state
            .services
            .directory
            .delete_group(&caller.caller, id)
            .await
    }

    fn version(record: &Self::Record) -> u64 {
        record.version
    }

    fn render(record: &Self::Record, base: &Base) -> Value {
        resource::group_json(record, base)
    }
}

fn resource_id<R: Resource>(path: web::Path<(String, String)>) -> Result<R::Id, ScimError> {
    let (_, id) = path.into_inner();
    id.parse().map_err(|_| ScimError::not_found(R::NOT_FOUND))
}

fn answer<R: Resource>(status: StatusCode, record: &R::Record, base: &Base) -> HttpResponse {
    resource_response(status, &R::render(record, base), R::version(record))
}

async fn create<R: Resource>(caller: Caller, body: web::Bytes) -> Result<HttpResponse, ScimError> {
    let record = R::create(&caller, &parse_body(&body)?).await?;
    Ok(answer::<R>(StatusCode::CREATED, &record, &caller.base))
}

async fn get<R: Resource>(
    caller: Caller,
    path: web::Path<(String, String)>,
    request: HttpRequest,
) -> Result<HttpResponse, ScimError> {
    let plan = Plan::new(&list_query(&request)?)?;
    let record = R::find(&caller, resource_id::<R>(path)?).await?;
    let mut body = R::render(&record, &caller.base);
    resource::project(&mut body, &plan.attributes, &plan.excluded);
    Ok(resource_response(
        StatusCode::OK,
        &body,
        R::version(&record),
    ))
}

async fn replace<R: Resource>(
    caller: Caller,
    path: web::Path<(String, String)>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let id = resource_id::<R>(path)?;
    let record = R::replace(&caller, id, &parse_body(&body)?, if_match(&request)?).await??;
    Ok(answer::<R>(StatusCode::OK, &record, &caller.base))
}

fn patch_request(body: &[u8]) -> Result<PatchRequest, ScimError> {
    serde_json::from_slice(body).map_err(|error| {
        ScimError::bad_request("invalidSyntax", format!("not a PATCH request: {error}"))
    })
}

/// PATCH is applied to the resource as the client reads it, and the result replaces it if
/// nothing changed in between; otherwise it is applied again to the newer state.
async fn patch<R: Resource>(
    caller: Caller,
    path: web::Path<(String, String)>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let id = resource_id::<R>(path)?;
    let patch = patch_request(&body)?;
    let asked = if_match(&request)?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let current = R::find(&caller, id).await?;
        let version = R::version(&current);
        if asked.is_some_and(|asked| asked != version) {
            return Err(DirectoryError::VersionMismatch.into());
        }
        let mut resource = R::render(&current, &caller.base);
        patch::apply(&mut resource, &patch, &|attr| R::KIND.multi_valued(attr))?;
        match R::replace(&caller, id, &resource, Some(version)).await? {
            Ok(record) => return Ok(answer::<R>(StatusCode::OK, &record, &caller.base)),
            Err(DirectoryError::VersionMismatch) if asked.is_none() && attempt < PATCH_ATTEMPTS => {
            }
            Err(error) => return Err(error.into()),
        }
    }
}

async fn delete<R: Resource>(
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ScimError> {
    R::delete(&caller, resource_id::<R>(path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
