//! The test vectors of draft-ietf-oauth-status-list (§4.1 and appendix "Test vectors
//! for Status List encoding"), decoded here as the draft prints them.

use super::*;

fn list(bits: u8, lst: &str) -> StatusList {
    let lst: String = lst.split_whitespace().collect();
    StatusList::decode(&EncodedStatusList { bits, lst }, 1 << 20).expect("vector decodes")
}

#[test]
fn one_bit_example_of_section_4_1() {
    // 0xB9 0xA3: status[0..16] = 1 0 0 1 1 1 0 1 | 1 1 0 0 0 1 0 1
    let l = list(1, "eNrbuRgAAhcBXQ");
    let expected = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
    let got: Vec<u8> = (0..16).map(|i| l.get(i).unwrap()).collect();
    assert_eq!(got, expected);
    assert_eq!(l.len(), 16);
    assert_eq!(l.get(16), None, "index past the end");
}

#[test]
fn two_bit_example_of_section_4_1() {
    // 0xC9 0x44 0xF9
    let l = list(2, "eNo76fITAAPfAgc");
    let expected = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3];
    let got: Vec<u8> = (0..12).map(|i| l.get(i).unwrap()).collect();
    assert_eq!(got, expected);
    assert_eq!(l.get(12), None);
}

const ONE_BIT_LONG: &str = "eNrt3AENwCAMAEGogklACtKQPg9LugC9k_ACvreiogEAAKkeCQAAAAAAAAAAAAAAAA
AAAIBylgQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAXG9I
AAAAAAAAAPwsJAAAAAAAAAAAAAAAvhsSAAAAAAAAAAAA7KpLAAAAAAAAAAAAAAAAAA
AAAJsLCQAAAAAAAAAAADjelAAAAAAAAAAAKjDMAQAAAACAZC8L2AEb";

#[test]
fn one_bit_vector_of_two_to_the_twenty_entries() {
    let l = list(1, ONE_BIT_LONG);
    assert_eq!(l.len(), 1 << 20);
    let set = [
        0, 1993, 25460, 159495, 495669, 554353, 645645, 723232, 854545, 934534, 1000345,
    ];
    for i in 0..l.len() {
        let want = u8::from(set.contains(&i));
        assert_eq!(l.get(i), Some(want), "status[{i}]");
    }
}

const TWO_BIT_LONG: &str = "eNrt2zENACEQAEEuoaBABP5VIO01fCjIHTMStt9ovGVIAAAAAABAbiEBAAAAAAAAAA
AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEB5WwIAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
AAAAAAAAAAAID0ugQAAAAAAAAAAAAAAAAAQG12SgAAAAAAAAAAAAAAAAAAAAAAAAAA
AOCSIQEAAAAAAAAAAAAAAAAAAAAAAAD8ExIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
AAAAAAAAAAwJEuAQAAAAAAAAAAAAAAAAAAAAAAAMB9SwIAAAAAAAAAAAAAAAAAAACo
YUoAAAAAAAAAAAAAAEBqH81gAQw";

#[test]
fn two_bit_vector_of_two_to_the_twenty_entries() {
    let l = list(2, TWO_BIT_LONG);
    assert_eq!(l.len(), 1 << 20);
    let set: [(u64, u8); 11] = [
        (0, 0b01),
        (1993, 0b10),
        (25460, 0b01),
        (159495, 0b11),
        (495669, 0b01),
        (554353, 0b01),
        (645645, 0b10),
        (723232, 0b01),
        (854545, 0b01),
        (934534, 0b10),
        (1000345, 0b11),
    ];
    for i in 0..l.len() {
        let want = set.iter().find(|(j, _)| *j == i).map_or(0, |(_, v)| *v);
        assert_eq!(l.get(i), Some(want), "status[{i}]");
    }
}

const FOUR_BIT_LONG: &str = "eNrt0EENgDAQADAIHwImkIIEJEwCUpCEBBQRHOy35Li1EjoOQGabAgAAAAAAAAAAAA
AAAAAAACC1SQEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
AAAAAAAAAAAAAAAAAAAABADrsCAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAADoxaEAAAAAAAAAAAAAAA
AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
AAAAAAAAAAAAAAAAAAAAAIIoCgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
AAAAAAAAAAAAAAAACArpwKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
AAAAAGhqVkAzlwIAAAAAiGVRAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
Bx3AoAgLpVAQAAAAAAAAAAAAAAwM89rwMAAAAAAAAAAAjsA9xMBMA";

#[test]
fn four_bit_vector_spot_checks() {
    let l = list(4, FOUR_BIT_LONG);
    assert_eq!(l.len(), 1 << 20);
    for (i, v) in [
        (0, 1),
        (1993, 2),
        (35460, 3),
        (459495, 4),
        (595669, 5),
        (754353, 6),
        (845645, 7),
        (923232, 8),
        (924445, 9),
        (934534, 10),
        (1004534, 11),
        (1000345, 12),
        (1030203, 13),
        (1030204, 14),
        (1030205, 15),
        (1, 0),
        (1030206, 0),
    ] {
        assert_eq!(l.get(i), Some(v), "status[{i}]");
    }
}

#[test]
fn refuses_bad_bits_base64_zlib_and_bombs() {
    let enc = |bits, lst: &str| EncodedStatusList {
        bits,
        lst: lst.into(),
    };
    assert_eq!(
        StatusList::decode(&enc(3, "eNrbuRgAAhcBXQ"), 1024),
        Err(StatusListError::Bits(3))
    );
    assert_eq!(
        StatusList::decode(&enc(1, "not base64!"), 1024),
        Err(StatusListError::Base64)
    );
    assert_eq!(
        StatusList::decode(&enc(1, "AAAA"), 1024),
        Err(StatusListError::Zlib)
    );
    // The 2^20-entry vector inflates to 128 KiB: over a 1 KiB bound.
    let long: String = ONE_BIT_LONG.split_whitespace().collect();
    assert_eq!(
        StatusList::decode(&enc(1, &long), 1024),
        Err(StatusListError::TooLarge(1024))
    );
}

#[test]
fn truncated_zlib_is_refused() {
    let long: String = ONE_BIT_LONG.split_whitespace().collect();
    let cut = &long[..long.len() / 2];
    let r = StatusList::decode(
        &EncodedStatusList {
            bits: 1,
            lst: cut.into(),
        },
        1 << 20,
    );
    assert!(r.is_err(), "{r:?}");
}
