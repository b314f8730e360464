//! The conversation without I/O: drive the pure step with tables of inputs and look at
//! the state, the writes and the replies.

use chrono::NaiveDate;

use super::check::UnitCtx;
use super::flow::{Env, Input, Step, Write, step};
use super::state::{Action, State};
use crate::form::Form;
use crate::store::Status;

/// A valid Biểu 1 row for 10 village cells (one INFO: cells with ≤ 3 members).
pub const B1_THON: &str = "10 2 1 3 4 0 0 120 90 12 4 5 2";
pub const B2_THON: &str = "10 0 10 2 8 10 0 2 6 2 1 3 2 4 3 6 1";
pub const B3_THON: &str = "20 20 20 20 20 20 20 15 15 10 10 10";
pub const B4_THON: &str = "10 10 6 8 2 1 3";
pub const B1_COQUAN: &str = "3 2 0 1 0 0 0 18 95 12 4 4 2";
pub const B2_COQUAN: &str = "3 0 3 0 0 3 1 2 0 0 3 0 0 0 3 0 0";
pub const B3_COQUAN: &str = "10 10 5 5 0 10 10 5 0 5 0 0";

struct Sim {
    form: Form,
    env: Env,
    ctx: UnitCtx,
    state: State,
    submitted: bool,
}

impl Sim {
    fn new(rows: &[&str], chosen: bool) -> Sim {
        let form = Form::embedded();
        let env = Env {
            today: NaiveDate::from_ymd_opt(2023, 12, 1).unwrap(),
            deadline: NaiveDate::from_ymd_opt(2023, 12, 10).unwrap(),
            now_text: "01/12/2023 09:00".into(),
            past_deadline: false,
            status: Status::Draft,
            submitted_text: None,
            sent_at: None,
            files: true,
            webapp: None,
        };
        let ctx = UnitCtx {
            unit_name: "Đảng bộ xã Mường So".into(),
            chi_bo: false,
            commune: true,
            rows: rows.iter().map(|s| s.to_string()).collect(),
            rows_chosen: chosen,
            ..UnitCtx::default()
        };
        Sim {
            form,
            env,
            ctx,
            state: State::Menu,
            submitted: false,
        }
    }

    fn send(&mut self, input: Input) -> Step {
        let s = step(&self.form, &self.env, self.ctx.clone(), self.state.clone(), input);
        for w in &s.writes {
            match w {
                Write::Answer { key, row, value } => self.ctx.set(key, row, value.clone()),
                Write::Rows(r) => {
                    self.ctx.rows = r.clone();
                    self.ctx.rows_chosen = true;
                }
                Write::ClearWarnings { row, table } => {
                    let rules = table.as_ref().map(|t| super::flow::rules_reading(&self.form, t));
                    self.ctx
                        .confirmed
                        .retain(|(rule, r)| r != row || rules.as_ref().is_some_and(|x| !x.contains(rule)))
                }
                Write::ConfirmWarning { rule, row, .. } => self.ctx.confirmed.push((rule.clone(), row.clone())),
                Write::Submit { .. } => {
                    self.submitted = true;
                    self.env.status = Status::Submitted;
                    self.env.submitted_text = Some(self.env.now_text.clone());
                }
                Write::NotifyBoard(_) | Write::SendTemplate => {}
            }
        }
        for r in &s.replies {
            assert!(!r.text.trim().is_empty(), "empty reply");
            assert!(
                r.text
                    .chars()
                    .any(|c| "ăâđêôơưáàảãạéèẻẽẹíìỉĩịóòỏõọúùủũụýỳỷỹỵ".contains(c.to_lowercase().next().unwrap())),
                "reply without Vietnamese text: {}",
                r.text
            );
            for b in r.buttons.iter().flatten() {
                assert!(
                    Action::decode(&b.data).is_some(),
                    "button {} has bad data {}",
                    b.label,
                    b.data
                );
            }
        }
        self.state = s.next.clone();
        s
    }

    fn text(&mut self, t: &str) -> Step {
        self.send(Input::Text(t.into()))
    }
    fn press(&mut self, a: Action) -> Step {
        self.send(Input::Button(a))
    }
    fn cmd(&mut self, name: &str, args: &str) -> Step {
        self.send(Input::Command {
            name: name.into(),
            args: args.into(),
        })
    }
    fn value(&self, key: &str, row: &str) -> Option<String> {
        self.ctx.get(key, row).cloned().flatten()
    }
}

fn all_text(s: &Step) -> String {
    s.replies.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join("\n")
}

fn has_button(s: &Step, a: &Action) -> bool {
    s.replies
        .iter()
        .flat_map(|r| r.buttons.iter().flatten())
        .any(|b| b.data == a.encode())
}

mod outline;
mod rows;
mod screens;
mod submit;

#[test]
fn menu_shows_progress_and_the_four_tasks() {
    let mut sim = Sim::new(&["thon"], true);
    let s = sim.cmd("menu", "");
    let t = all_text(&s);
    assert!(t.contains("Đảng bộ xã Mường So"), "{t}");
    assert!(t.contains("còn 9 ngày"), "{t}");
    for a in [Action::Outline, Action::Tables, Action::Fields, Action::Review] {
        assert!(has_button(&s, &a), "missing {a:?}");
    }
    assert_eq!(sim.state, State::Menu);
}

#[test]
fn no_input_is_left_without_an_answer() {
    let states = [
        State::Menu,
        State::Answer {
            node: "I.1".into(),
            replace: false,
            prev: None,
        },
        State::Field {
            id: "HD.so".into(),
            guided: true,
        },
        State::PickTypes {
            selected: vec!["thon".into()],
        },
        State::Row {
            table: "B1".into(),
            row: "thon".into(),
        },
        State::ConfirmSubmit { second: false },
    ];
    let inputs = [
        Input::Media,
        Input::Edited,
        Input::StaleButton,
        Input::Text("???".into()),
        Input::Command {
            name: "khonglenh".into(),
            args: String::new(),
        },
        Input::Command {
            name: "tonghop".into(),
            args: String::new(),
        },
        Input::Button(Action::Confirm),
        Input::Command {
            name: "huy".into(),
            args: String::new(),
        },
        Input::Command {
            name: "trogiup".into(),
            args: String::new(),
        },
    ];
    for st in &states {
        for i in &inputs {
            let mut sim = Sim::new(&["thon"], true);
            sim.state = st.clone();
            let s = sim.send(i.clone());
            assert!(!s.replies.is_empty(), "{st:?} + {i:?} got silence");
        }
    }
}
