//! One test per rule of the module docs.

use super::*;

fn note(record_ref: u64, text: &str) -> Command {
    Command::Note {
        record_ref,
        text: text.to_owned(),
    }
}

fn sale(target: SaleTarget, revenue: &str, cost: Option<&str>, profit: Option<&str>) -> Command {
    Command::Sale {
        target,
        revenue: revenue.to_owned(),
        cost: cost.map(str::to_owned),
        profit: profit.map(str::to_owned),
    }
}

fn phone(number: &str) -> SaleTarget {
    SaleTarget::Phone(number.to_owned())
}

/// The reason of an error, checking it is a reply error.
fn sms_error(body: &str) -> String {
    let error = parse_sms(body).expect_err(body);
    assert_eq!(error.what, "reply");
    error.reason
}

fn email_error(subject: &str, body: &str) -> String {
    let error = parse_email(subject, body).expect_err(body);
    assert_eq!(error.what, "reply");
    error.reason
}

// SMS notes.

#[test]
fn a_ref_as_the_first_word_of_an_sms_makes_the_rest_a_note() {
    assert_eq!(parse_sms("1042 Wants blue velvet"), Ok(note(1042, "Wants blue velvet")));
    // The patent's own example.
    assert_eq!(
        parse_sms("1042 John Doe JD Corp johndoe@gmail.com 212 555 7889 Wants 500SF office"),
        Ok(note(
            1042,
            "John Doe JD Corp johndoe@gmail.com 212 555 7889 Wants 500SF office"
        ))
    );
}

#[test]
fn the_ref_may_have_a_hash_before_it_and_a_separator_after_it() {
    for body in [
        "#1042 Wants blue",
        "1042: Wants blue",
        "#1042: Wants blue",
        "1042, Wants blue",
        "1042- Wants blue",
        "1042 - Wants blue",
        "1042 : Wants blue",
        "1042 — Wants blue",
        "1042\tWants blue",
    ] {
        assert_eq!(parse_sms(body), Ok(note(1042, "Wants blue")), "{body}");
    }
}

#[test]
fn a_ref_with_nothing_after_it_asks_for_the_note() {
    for body in ["1042", "1042:", "#1042 - ", "1042 \r\n  "] {
        assert!(sms_error(body).contains("add the note after the ref"), "{body}");
    }
}

#[test]
fn surrounding_whitespace_crlf_and_non_breaking_spaces_are_handled() {
    assert_eq!(
        parse_sms("\u{a0} 1042\u{a0}Wants\r\nblue\rvelvet\u{2028}now\r\n \u{3000}"),
        Ok(note(1042, "Wants\nblue\nvelvet\nnow"))
    );
}

#[test]
fn a_multi_line_note_keeps_its_lines_and_a_list_after_the_ref_keeps_its_dashes() {
    assert_eq!(
        parse_sms("1042\n- blue velvet\n- call back Friday"),
        Ok(note(1042, "- blue velvet\n- call back Friday"))
    );
}

#[test]
fn an_sms_that_does_not_start_with_a_ref_is_refused_showing_both_forms() {
    let reason = sms_error("Wants blue velvet");
    assert!(reason.contains("\"1042 Wants a call back\""), "{reason}");
    assert!(reason.contains("[ID] 1042 [REVENUE] 1,000"), "{reason}");
    assert!(reason.contains("\"Wants\""), "{reason}");
}

#[test]
fn a_phone_number_as_the_first_word_is_not_taken_for_a_ref() {
    assert!(sms_error("202-555-0169 wants a quote").contains("start the SMS with the record ref"));
    assert!(sms_error("1042:Wants").contains("start the SMS with the record ref"));
}

#[test]
fn an_empty_sms_is_refused() {
    for body in ["", "  \r\n\u{a0}", "\u{200b}\u{feff}"] {
        assert!(sms_error(body).contains("the SMS is empty"), "{body:?}");
    }
}

// The keyword form.

#[test]
fn the_patents_example_records_a_sale_on_the_callers_number() {
    assert_eq!(
        parse_sms("[PHONE] 202-555-0169 [REVENUE] 1,000 [PROFIT] 500"),
        Ok(sale(phone("202-555-0169"), "1,000", None, Some("500")))
    );
}

#[test]
fn sale_gives_the_revenue_and_id_names_the_call_by_its_ref() {
    assert_eq!(
        parse_sms("[SALE] $1,200.50 [ID] 1042"),
        Ok(sale(SaleTarget::Ref(1042), "$1,200.50", None, None))
    );
    assert_eq!(
        parse_sms("[SALE] 99 [ID] #1042"),
        Ok(sale(SaleTarget::Ref(1042), "99", None, None))
    );
}

#[test]
fn keywords_are_read_in_any_case_and_any_order() {
    let expected = sale(SaleTarget::Ref(1042), "1,000", Some("200"), Some("800"));
    for body in [
        "[ID] 1042 [REVENUE] 1,000 [COST] 200 [PROFIT] 800",
        "[profit] 800 [Revenue] 1,000 [cost] 200 [id] 1042",
        "[ Cost ] 200 [PROFIT]800[ID]1042[sale] 1,000",
        "  \r\n[iD] 1042\r\n[ReVeNuE] 1,000\r\n[COST] 200\r\n[PROFIT] 800\r\n",
    ] {
        assert_eq!(parse_sms(body), Ok(expected.clone()), "{body}");
    }
}

#[test]
fn a_keyword_given_twice_is_refused() {
    assert!(sms_error("[ID] 1042 [PROFIT] 1 [REVENUE] 5 [profit] 2").contains("[PROFIT] is given twice"));
    let reason = sms_error("[ID] 1042 [SALE] 1 [REVENUE] 2");
    assert!(
        reason.contains("[SALE] and [REVENUE] both give the revenue"),
        "{reason}"
    );
}

#[test]
fn phone_and_id_together_are_refused() {
    let reason = sms_error("[PHONE] 202-555-0169 [ID] 1042 [REVENUE] 1,000");
    assert!(reason.contains("give [PHONE] or [ID], not both"), "{reason}");
}

#[test]
fn a_sale_needs_a_call_and_a_revenue() {
    assert!(sms_error("[REVENUE] 1,000 [PROFIT] 500").contains("say which call"));
    assert!(sms_error("[ID] 1042 [PROFIT] 500").contains("add the revenue"));
}

#[test]
fn text_before_the_first_keyword_is_refused() {
    let reason = sms_error("1042 [SALE] 1,000");
    assert!(reason.contains("write the ref as \"[ID] 1042\""), "{reason}");
    let reason = sms_error("Sold! [SALE] 1,000 [ID] 1042");
    assert!(reason.contains("starts with \"Sold!\""), "{reason}");
}

#[test]
fn an_unknown_keyword_is_named_with_the_known_ones() {
    let reason = sms_error("[REVNUE] 1,000 [ID] 1042");
    assert!(reason.starts_with("[REVNUE] is not a keyword"), "{reason}");
    assert!(reason.contains(KEYWORDS), "{reason}");
    // Any bracketed word makes the keyword form, so a note with one is refused too.
    assert!(sms_error("1042 He said [sic] blue").contains("[SIC] is not a keyword"));
}

#[test]
fn a_bracketed_word_split_over_lines_is_still_a_keyword() {
    // Found by cargo-fuzz: joining the value's lines made "[ le ]" of it, which read back
    // as a keyword.
    assert!(sms_error("[SALE] $.50 [ \r\nle ][ID] 1042").contains("[LE] is not a keyword"));
    assert_eq!(
        parse_sms("[\n  sale\n] 5 [ID] 1042"),
        Ok(sale(SaleTarget::Ref(1042), "5", None, None))
    );
}

#[test]
fn brackets_without_a_word_of_letters_are_plain_text() {
    assert_eq!(
        parse_sms("1042 see [1], [x], [image: logo] and [a long bracketed phrase]"),
        Ok(note(1042, "see [1], [x], [image: logo] and [a long bracketed phrase]"))
    );
}

#[test]
fn amounts_are_cut_out_and_trimmed_as_written() {
    assert_eq!(
        parse_sms("[REVENUE]   USD 12 \t[COST] €1.200,50\u{a0}[PROFIT] -3 [ID] 1042"),
        Ok(sale(SaleTarget::Ref(1042), "USD 12", Some("€1.200,50"), Some("-3")))
    );
}

#[test]
fn an_empty_or_digitless_amount_is_refused_naming_its_keyword() {
    let reason = sms_error("[ID] 1042 [REVENUE] [PROFIT] 5");
    assert!(reason.contains("[REVENUE] needs an amount"), "{reason}");
    let reason = sms_error("[ID] 1042 [sale] lots");
    assert!(reason.contains("[SALE] \"lots\" is not an amount"), "{reason}");
    let reason = sms_error("[ID] 1042 [SALE] 5 [COST] n/a");
    assert!(reason.contains("[COST] \"n/a\" is not an amount"), "{reason}");
    let long = format!("[ID] 1042 [SALE] 1{}", "0".repeat(MAX_VALUE_CHARS));
    assert!(sms_error(&long).contains("too long for an amount"));
}

#[test]
fn a_value_may_span_lines_between_keywords_and_the_last_ends_at_its_line() {
    assert_eq!(
        parse_sms("[PHONE]\n202 555\n0169\n[REVENUE] 1,000\nThanks, Bob"),
        Ok(sale(phone("202 555 0169"), "1,000", None, None))
    );
    assert_eq!(
        parse_sms("[ID] 1042 [REVENUE]\n\n 1,000 \n"),
        Ok(sale(SaleTarget::Ref(1042), "1,000", None, None))
    );
}

#[test]
fn a_malformed_id_or_phone_is_refused() {
    assert!(sms_error("[ID] 10x2 [SALE] 5").contains("[ID] \"10x2\" is not a record ref"));
    assert!(sms_error("[ID] [SALE] 5").contains("[ID] needs the record ref"));
    assert!(sms_error("[PHONE] Bob [SALE] 5").contains("[PHONE] \"Bob\" is not a phone number"));
    assert!(sms_error("[SALE] 5 [PHONE]").contains("[PHONE] needs the caller's number"));
}

// E-mail.

#[test]
fn an_email_takes_the_ref_from_the_subject_and_the_note_from_the_body() {
    for (subject, record_ref) in [
        ("Re: Call 1042 from Google Ads", 1042),
        ("Re: Call 1042 from +1 202-555-0169: reply with notes", 1042),
        ("RE: [Leadline] 1042", 1042),
        ("Fwd: 1042", 1042),
        ("Fwd:1042", 1042),
        ("FW: Ref #1042", 1042),
        ("Re: Ref: 1042.", 1042),
        ("re: call #12", 12),
        ("Re: Lead 1043, form on example.com", 1043),
        ("Re: Missed call on 4 May: Call 1044", 1044),
        ("1045", 1045),
    ] {
        assert_eq!(
            parse_email(subject, "Wants blue velvet\r\n"),
            Ok(note(record_ref, "Wants blue velvet")),
            "{subject}"
        );
    }
}

#[test]
fn a_subject_ref_is_not_taken_from_a_phone_number_a_date_or_an_amount() {
    for subject in [
        "Re: missed call from 202 555 0169",
        "Re: missed call from (202) 555-0169",
        "Re: missed call from +12025550169",
        "Re: your visit on 2026-05-04",
        "Re: quote for $1,200.50",
        "Re: quote for 0123",
        "Re: Recall 55",
    ] {
        assert!(
            email_error(subject, "a note").contains("no record ref in the subject"),
            "{subject}"
        );
    }
}

#[test]
fn no_ref_and_no_keywords_is_refused() {
    assert!(email_error("Hello", "Wants blue velvet").starts_with("no record ref in the subject"));
}

#[test]
fn gmail_reply_quoting_is_left_out_of_the_note() {
    let body = "Wants blue velvet.\r\nCall back Friday.\r\n\r\n\
                On Mon, May 4, 2026 at 10:02 AM Leadline <calls@leadline.example>\r\n\
                wrote:\r\n\r\n> Call 1042 from Google Ads\r\n> Caller: 202-555-0169\r\n";
    assert_eq!(
        parse_email("Re: Call 1042 from Google Ads", body),
        Ok(note(1042, "Wants blue velvet.\nCall back Friday."))
    );
    let one_line = "Wants blue\n\nOn Mon, May 4, 2026 at 10:02 AM Leadline wrote:\nCall 1042 from Google Ads\n";
    assert_eq!(parse_email("Re: Call 1042", one_line), Ok(note(1042, "Wants blue")));
    let german = "Blau\n\nAm Mo., 4. Mai 2026 um 10:02 Uhr schrieb Leadline <calls@leadline.example>:\n> Call";
    assert_eq!(parse_email("AW: Call 1042", german), Ok(note(1042, "Blau")));
}

#[test]
fn outlook_reply_quoting_is_left_out_of_the_note() {
    let original = "Wants blue velvet\r\n\r\n-----Original Message-----\r\n\
                    From: Leadline <calls@leadline.example>\r\nSent: Monday, May 4, 2026 10:02 AM\r\n\
                    Subject: Call 1042 from Google Ads\r\n\r\nCall 1042 from Google Ads\r\n";
    assert_eq!(
        parse_email("RE: Call 1042", original),
        Ok(note(1042, "Wants blue velvet"))
    );
    let header_block = "Wants blue velvet\r\n\r\nFrom: Leadline <calls@leadline.example>\r\n\
                        Sent: Monday, May 4, 2026 10:02 AM\r\nTo: Bob\r\n\r\nCall 1042\r\n";
    assert_eq!(
        parse_email("RE: Call 1042", header_block),
        Ok(note(1042, "Wants blue velvet"))
    );
    let rule = "Wants blue velvet\r\n\r\n________________________________\r\nFrom: Leadline\r\nCall 1042\r\n";
    assert_eq!(parse_email("RE: Call 1042", rule), Ok(note(1042, "Wants blue velvet")));
}

#[test]
fn lines_quoted_with_a_chevron_are_left_out_wherever_they_are() {
    let body = "> Call 1042 from Google Ads\n> Caller: 202-555-0169\n\nWants blue velvet\n>> older\nFriday";
    assert_eq!(
        parse_email("Re: Call 1042", body),
        Ok(note(1042, "Wants blue velvet\nFriday"))
    );
}

#[test]
fn a_signature_a_forwarded_message_and_a_phones_closing_line_are_left_out() {
    let body = "Wants blue velvet\n\n\n\nFriday\n-- \nBob Smith\nSales, 202-555-0100\n";
    assert_eq!(
        parse_email("Re: Call 1042", body),
        Ok(note(1042, "Wants blue velvet\n\nFriday"))
    );
    let body = "Wants blue velvet\n\nSent from my iPhone\n";
    assert_eq!(parse_email("Re: Call 1042", body), Ok(note(1042, "Wants blue velvet")));
    let body = "Over to you\n\n---------- Forwarded message ---------\nFrom: Leadline\nCall 1042\n";
    assert_eq!(parse_email("Fwd: Call 1042", body), Ok(note(1042, "Over to you")));
}

#[test]
fn an_email_with_nothing_but_the_quoted_message_has_no_note() {
    let body = "\r\nOn Mon, May 4, 2026 at 10:02 AM Leadline <calls@leadline.example> wrote:\r\n> Call 1042\r\n";
    assert!(email_error("Re: Call 1042", body).contains("the e-mail has no note for 1042"));
    assert!(email_error("Re: Call 1042", "").contains("no note"));
}

#[test]
fn an_email_body_in_the_keyword_form_is_a_sale_on_the_subjects_ref_unless_it_names_a_call() {
    let body = "[SALE] $1,200.50\n\nThanks,\nBob\n\nOn Mon, May 4, 2026 at 10:02 AM Leadline <c@l.example> wrote:\n> x";
    assert_eq!(
        parse_email("Re: Call 1042", body),
        Ok(sale(SaleTarget::Ref(1042), "$1,200.50", None, None))
    );
    assert_eq!(
        parse_email("Re: Call 1042", "[PHONE] 202-555-0169 [REVENUE] 1,000 [PROFIT] 500"),
        Ok(sale(phone("202-555-0169"), "1,000", None, Some("500")))
    );
    assert_eq!(
        parse_email("Hello", "[ID] 1043 [SALE] 5"),
        Ok(sale(SaleTarget::Ref(1043), "5", None, None))
    );
    assert!(email_error("Hello", "[SALE] 5").contains("say which call"));
    assert!(email_error("Re: Call 1042", "[REVNUE] 5").contains("[REVNUE] is not a keyword"));
}

#[test]
fn an_email_subject_in_the_keyword_form_is_a_sale() {
    assert_eq!(
        parse_email("Re: [Leadline] [SALE] 1,000 [ID] 1042", "Sent from my iPhone"),
        Ok(sale(SaleTarget::Ref(1042), "1,000", None, None))
    );
    assert_eq!(
        parse_email("[PHONE] 202-555-0169 [REVENUE] 1,000 [PROFIT] 500", ""),
        Ok(sale(phone("202-555-0169"), "1,000", None, Some("500")))
    );
}

// Limits.

#[test]
fn a_reply_over_the_size_limit_is_refused_saying_the_limit() {
    let huge = format!("1042 {}", "a".repeat(MAX_REPLY_BYTES));
    let limit = format!("at most {MAX_REPLY_BYTES} bytes");
    assert!(sms_error(&huge).contains(&limit));
    assert!(email_error("Re: Call 1042", &huge).contains(&limit));
    assert!(email_error(&huge, "a note").contains("the subject is"));
    let fits = format!("1042 {}", "a".repeat(MAX_REPLY_BYTES - 5));
    assert!(parse_sms(&fits).is_ok());
}

#[test]
fn a_ref_over_18_digits_is_refused() {
    let longest = "9".repeat(MAX_REF_DIGITS);
    assert_eq!(
        parse_sms(&format!("{longest} hi")),
        Ok(note(999_999_999_999_999_999, "hi"))
    );
    let too_long = "1".repeat(MAX_REF_DIGITS + 1);
    for reason in [
        sms_error(&format!("{too_long} hi")),
        sms_error(&format!("[ID] {too_long} [SALE] 5")),
        email_error(&format!("Re: Call {too_long}"), "hi"),
    ] {
        assert!(reason.contains("at most 18 digits"), "{reason}");
    }
}

#[test]
fn control_zero_width_and_bidi_characters_are_removed_but_tabs_and_newlines_kept() {
    assert_eq!(
        parse_sms("1042 a\u{0}b\u{7}c\td\ne\u{202e}f\u{200b}g\u{1b}[0mh\u{9c}i"),
        Ok(note(1042, "abc\td\nefg[0mhi"))
    );
}

#[test]
fn text_that_was_never_decoded_is_refused() {
    assert!(sms_error("1042 Caf\u{fffd} order").contains("could not be read"));
    assert!(sms_error("[ID] 1042 [SALE] \u{fffd}5").contains("could not be read"));
    let subject = "Re: Call 1042";
    assert!(email_error(subject, "<html><body><p>Wants blue</p></body></html>").contains("HTML"));
    let mime = "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWants blue\r\n--b1--";
    assert!(email_error(subject, mime).contains("MIME"));
    assert!(email_error(subject, "V2FudHMgYmx1ZSB2ZWx2ZXQgYW5kIGEgY2FsbCBiYWNrIG9uIEZyaWRheQ==").contains("base64"));
    assert!(email_error(subject, "Caf=C3=A9 order =E2=80=99s").contains("quoted-printable"));
}

#[test]
fn to_sms_writes_what_parse_sms_reads_back() {
    for command in [
        note(1042, "Wants blue velvet"),
        note(1042, "- blue\n- green"),
        note(7, ": not a separator"),
        sale(phone("202-555-0169"), "1,000", None, Some("500")),
        sale(SaleTarget::Ref(1042), "$1,200.50", Some("USD 12"), Some("9")),
    ] {
        assert_eq!(
            parse_sms(&command.to_sms()),
            Ok(command.clone()),
            "{}",
            command.to_sms()
        );
    }
    assert_eq!(
        sale(phone("202-555-0169"), "1,000", None, Some("500")).to_sms(),
        "[PHONE] 202-555-0169 [REVENUE] 1,000 [PROFIT] 500"
    );
}
