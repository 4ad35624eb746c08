use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "integrations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    #[sea_orm(column_name = "type")]
    pub kind: String,
    pub status: String,
    pub last_scan: Option<TimeDateTimeWithTimeZone>,
    pub config: String,
    pub credential_names: String,
    pub credentials: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub created_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
