use super::*;
use serde_json::json;
use std::collections::BTreeSet;

fn by() -> Author {
    Author::api_key("ab12cd34")
}

/// One sample of every kind; `lead.updated` in both of its shapes.
fn samples() -> Vec<EventData> {
    vec![
        EventData::CallInitiated(CallInitiated {
            element: "call-now".into(),
            page_url: "https://acme.example/contact".into(),
        }),
        EventData::CallDialed(CallDialed {
            caller: "+12025550169".into(),
            matched_by: MatchedBy::CallMe,
            source_label: Some("Spring flyer".into()),
        }),
        EventData::CallConnected(CallConnected {
            answered_by: Some("+12025550111".into()),
        }),
        EventData::CallCompleted(CallCompleted {
            answered: true,
            answered_by: Some("+12025550111".into()),
            duration_seconds: 125,
            outcome: Some(CallOutcome::NoAnswer),
            voicemail: false,
            recording_path: Some(recording_path(1042)),
        }),
        EventData::FormCompleted(FormCompleted {
            fields: vec![("message".into(), "Call me back".into())],
            matched_by: LeadMatch::VisitorKey,
            message_id: MessageId::parse("m_0123456789abcdefghijkl").unwrap(),
            page_url: None,
            via: SubmissionVia::Processor,
        }),
        EventData::LeadStatusChanged(Authored {
            author: by(),
            change: StatusChange {
                from: LeadStatus::InCall,
                to: LeadStatus::Qualified,
            },
        }),
        EventData::SaleRecorded(Authored {
            author: by(),
            change: Sale {
                call_ref: Some(1042),
                cost_basis: Some("7 call minutes × 0.50".into()),
                cost_minor: 350,
                currency: Currency::parse("EUR").unwrap(),
                form: None,
                profit_minor: 11_700,
                revenue_minor: 12_050,
            },
        }),
        EventData::NoteAdded(Authored {
            author: by(),
            change: Note {
                text: "Wants a quote".into(),
            },
        }),
        EventData::LeadUpdated(Authored {
            author: by(),
            change: LeadUpdate::Fields {
                changed: BTreeMap::from([(
                    "custom.budget".into(),
                    FieldChange {
                        from: None,
                        to: Some(json!(1200)),
                    },
                )]),
            },
        }),
        EventData::LeadUpdated(Authored {
            author: by(),
            change: LeadUpdate::Tags {
                added: vec!["vip".into()],
                removed: vec!["cold".into()],
            },
        }),
        EventData::ConversionMarked(Authored {
            author: by(),
            change: ConversionMarked {
                call_ref: Some(1042),
                currency: Some(Currency::parse("USD").unwrap()),
                message_id: None,
                name: "Booked job".into(),
                value_minor: Some(25_000),
            },
        }),
        EventData::ConversionUnmarked(Authored {
            author: by(),
            change: ConversionUnmarked {
                call_ref: None,
                message_id: Some(MessageId::parse("m_0123456789abcdefghijkl").unwrap()),
            },
        }),
        EventData::CallSpamChanged(Authored {
            author: Author::system(),
            change: CallSpamChanged {
                spam: Some(crate::spam::SpamReason::Repeated),
            },
        }),
        EventData::LeadErased(LeadErased {
            record_ref: 1040,
            subjects: vec![],
        }),
        EventData::SaleRecorded(Authored {
            author: by(),
            change: Sale {
                call_ref: None,
                cost_basis: None,
                cost_minor: 0,
                currency: Currency::parse("USD").unwrap(),
                form: Some(crate::form::MessageId::parse("m_0123456789abcdefghijkl").unwrap()),
                profit_minor: 100,
                revenue_minor: 100,
            },
        }),
    ]
}

#[test]
fn a_sale_names_its_form_only_when_it_has_one_so_earlier_bytes_stay_the_same() {
    let with_form = samples().pop().unwrap();
    let json = serde_json::to_string(&with_form).unwrap();
    assert!(
        json.contains(r#""currency":"USD","form":"m_0123456789abcdefghijkl","profit_minor""#),
        "{json}"
    );
    assert!(!serde_json::to_string(&samples()[6]).unwrap().contains("form"));
}

#[test]
fn every_kind_has_data_and_its_data_reads_back_as_written() {
    let kinds: BTreeSet<&str> = samples().iter().map(|d| d.kind().as_str()).collect();
    let all: BTreeSet<&str> = EventKind::ALL.iter().map(EventKind::as_str).collect();
    assert_eq!(kinds, all);
    for sample in samples() {
        let json = sample.to_json();
        assert_eq!(serde_json::to_value(&sample).unwrap(), json);
        assert_eq!(EventData::from_json(sample.kind(), json).unwrap(), sample);
    }
}

#[test]
fn data_is_sent_with_its_keys_in_alphabetical_order() {
    let data = &samples()[6];
    assert_eq!(
        serde_json::to_string(data).unwrap(),
        r#"{"author":"api-key:ab12cd34","call_ref":1042,"cost_basis":"7 call minutes × 0.50","cost_minor":350,"currency":"EUR","profit_minor":11700,"revenue_minor":12050}"#
    );
}

#[test]
fn rows_stored_by_earlier_releases_read() {
    let stored = [
        (
            EventKind::CallDialed,
            r#"{"caller":"anonymous","matched_by":"none","source_label":null}"#,
        ),
        (EventKind::CallConnected, r#"{"answered_by":null}"#),
        (
            EventKind::CallCompleted,
            r#"{"answered":false,"answered_by":null,"duration_seconds":0,"outcome":null,"recording_path":null,"voicemail":false}"#,
        ),
        (
            EventKind::LeadUpdated,
            r#"{"author":"system","changed":{"email":{"from":null,"to":"a@b.c"}}}"#,
        ),
        (
            EventKind::LeadUpdated,
            r#"{"added":[],"author":"system","removed":["x"]}"#,
        ),
    ];
    for (kind, json) in stored {
        let data = EventData::from_json(kind, serde_json::from_str(json).unwrap()).unwrap();
        assert_eq!(data.kind(), kind);
        assert_eq!(serde_json::to_string(&data).unwrap(), json, "written back the same");
    }
    // Before the voicemail flag and the recording's path: read as no voicemail, no recording.
    let older = json!({"answered": false, "answered_by": null, "duration_seconds": 0, "outcome": null});
    let EventData::CallCompleted(completed) = EventData::from_json(EventKind::CallCompleted, older).unwrap() else {
        panic!("a completed call")
    };
    assert!(!completed.voicemail && completed.recording_path.is_none());
    let EventData::LeadUpdated(update) = EventData::from_json(
        EventKind::LeadUpdated,
        json!({"author": "hubspot", "changed": {"phone": {"from": "+12025550169", "to": null}}}),
    )
    .unwrap() else {
        panic!("a lead update")
    };
    assert_eq!(update.author.as_str(), "hubspot");
    assert_eq!(update.change.changed_fields(), ["phone"]);
}

#[test]
fn data_of_another_kind_or_with_bad_values_is_refused_by_name() {
    let completed = json!({"answered": true, "answered_by": null, "duration_seconds": 3, "outcome": null});
    let err = EventData::from_json(EventKind::SaleRecorded, completed).unwrap_err();
    assert!(err.to_string().contains("sale.recorded"), "{err}");
    for (kind, bad) in [
        (
            EventKind::CallDialed,
            json!({"caller": "x", "matched_by": "psychic", "source_label": null}),
        ),
        (
            EventKind::SaleRecorded,
            json!({"author": "system", "call_ref": null, "cost_basis": null, "cost_minor": 0,
                   "currency": "XYZ1", "profit_minor": 0, "revenue_minor": 0}),
        ),
        (
            EventKind::LeadStatusChanged,
            json!({"author": "system", "from": "new", "to": "won"}),
        ),
    ] {
        assert!(EventData::from_json(kind, bad.clone()).is_err(), "{bad}");
    }
}

#[test]
fn only_the_events_of_lead_changes_and_conversion_marks_have_an_author() {
    for sample in samples() {
        let changed_a_lead = matches!(
            sample.kind(),
            EventKind::LeadStatusChanged
                | EventKind::SaleRecorded
                | EventKind::NoteAdded
                | EventKind::LeadUpdated
                | EventKind::ConversionMarked
                | EventKind::ConversionUnmarked
                | EventKind::CallSpamChanged
        );
        assert_eq!(sample.author().is_some(), changed_a_lead, "{:?}", sample.kind());
    }
}

/// The fields docs/outbox.md lists under each kind's heading (`### \`call.completed\``): the
/// first column of the table that follows it, up to the next heading.
fn documented_fields(doc: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut fields: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut kind: Option<String> = None;
    for line in doc.lines() {
        if line.starts_with('#') {
            kind = line
                .strip_prefix("### `")
                .and_then(|h| h.trim_end().strip_suffix('`'))
                .map(str::to_owned);
            continue;
        }
        let Some(kind) = &kind else { continue };
        let Some(cell) = line.strip_prefix("| `") else { continue };
        if let Some((name, _)) = cell.split_once('`') {
            fields.entry(kind.clone()).or_default().insert(name.to_owned());
        }
    }
    fields
}

#[test]
fn the_outbox_guide_lists_every_field_of_every_kind() {
    let doc = include_str!("../../../../docs/outbox.md");
    let mut serialised: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for sample in samples() {
        let Value::Object(object) = sample.to_json() else {
            panic!("{:?} is not an object", sample.kind())
        };
        serialised
            .entry(sample.kind().as_str().to_owned())
            .or_default()
            .extend(object.keys().cloned());
    }
    assert_eq!(documented_fields(doc), serialised);
}
