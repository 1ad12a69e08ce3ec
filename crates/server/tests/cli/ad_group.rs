//! `leadline ad-group …`: master ads and master phrases from the command line, through the
//! same use cases as Settings and the API.

use crate::harness::Cli;

#[test]
fn an_owner_groups_ads_and_keywords_from_the_command_line() {
    let cli = Cli::new();
    cli.ok(&["business", "add", "Acme Upholstery"]);
    let b = ["--business", "acme-upholstery"];
    let out = cli.ok(&[
        &["ad-group", "add-ad"],
        &b[..],
        &[
            "--name",
            "Brand",
            "--rule",
            "source=Google*;campaign=*brand*",
            "--rule",
            "content=banner-a",
        ],
    ]
    .concat());
    assert!(out.contains("added master ad 1 (Brand)"), "{out}");
    cli.ok(&[
        &["ad-group", "add-ad"],
        &b[..],
        &["--name", "Bing", "--rule", "source=bing"],
    ]
    .concat());
    let refused = cli.refused(
        &[
            &["ad-group", "add-ad"],
            &b[..],
            &["--name", "All", "--rule", "source=*"],
        ]
        .concat(),
    );
    assert!(refused.contains("rule 'source=*'"), "{refused}");
    let refused = cli.refused(
        &[
            &["ad-group", "add-ad"],
            &b[..],
            &["--name", "All", "--rule", "medium=cpc"],
        ]
        .concat(),
    );
    assert!(
        refused.contains("'medium' is not source, campaign or content"),
        "{refused}"
    );
    cli.ok(&[&["ad-group", "move-ad"], &b[..], &["--id", "2", "--earlier"]].concat());

    let out = cli.ok(&[
        &["ad-group", "add-phrase"],
        &b[..],
        &[
            "--name",
            "Sofa repair",
            "--variant",
            "Sofa Repair!",
            "--variant",
            "couch repair",
        ],
    ]
    .concat());
    assert!(out.contains("couch repair, repair sofa"), "{out}");
    let refused = cli.refused(
        &[
            &["ad-group", "add-phrase"],
            &b[..],
            &["--name", "Fix", "--variant", "repair sofa"],
        ]
        .concat(),
    );
    assert!(refused.contains("already a variant of 'Sofa repair'"), "{refused}");
    cli.ok(&[
        &["ad-group", "edit-phrase"],
        &b[..],
        &["--id", "1", "--name", "Repairs"],
    ]
    .concat());

    let list = cli.ok(&[&["ad-group", "list"], &b[..]].concat());
    let bing = list.find("[master ad 2] Bing: source=bing").expect(&list);
    let brand = list
        .find("[master ad 1] Brand: source=google*;campaign=*brand* | content=banner-a")
        .expect(&list);
    assert!(bing < brand, "moved first: {list}");
    assert!(
        list.contains("[master phrase 1] Repairs: couch repair, repair sofa"),
        "{list}"
    );

    cli.ok(&[&["ad-group", "remove-ad"], &b[..], &["--id", "1"]].concat());
    let refused = cli.refused(&[&["ad-group", "remove-ad"], &b[..], &["--id", "1"]].concat());
    assert!(refused.contains("has no master ad 1"), "{refused}");
    cli.ok(&[&["ad-group", "remove-phrase"], &b[..], &["--id", "1"]].concat());
    let list = cli.ok(&[&["ad-group", "list"], &b[..]].concat());
    assert!(!list.contains("Brand") && !list.contains("Repairs"), "{list}");
}
