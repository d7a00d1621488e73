//! Where an access token's status lives: one bit of one token status list.

/// An index in a status list (draft-ietf-oauth-status-list): the `status_list` of a
/// token's `status` claim names the list by URI, storage by `list_id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusSlot {
    pub list_id: String,
    pub idx: i64,
}
