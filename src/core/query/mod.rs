//! The query language shared by every list and query operation: cursors ([`cursor`]), the
//! filter language ([`filter`]), sorting ([`sort`]), paging options and metadata ([`paging`]),
//! the queryable fields of each entity ([`fields`]) and the scan that runs a query over a key
//! family ([`scan`]).

pub mod cursor;
pub mod fields;
pub mod filter;
pub mod paging;
pub mod scan;
pub mod sort;
