use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orgs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub plan: String,
    pub created_at: TimeDateTimeWithTimeZone,
    /// A JSON object of the org's settings.
    pub settings: String,
    /// The audit chain's head, kept by the events' insert trigger. Read with the org's lock,
    /// so that the transaction's next append need not read it again.
    pub audit_seq: i64,
    pub audit_head: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
