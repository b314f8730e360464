//! A tiny expression language for the form's consistency rules:
//! `B1.cells_size_le3 + B1.cells_size_4_5 == B1.cells_total`, `abs(x - y) <= 0.25 * y`,
//! `a > 0 and not blank(b)`. Values may be unknown (a blank or not yet entered figure);
//! unknown propagates, so a rule whose inputs are not all known is simply not decided yet.
//!
//! No maintained crate fits: the popular evaluator is AGPL-licensed and none has
//! three-valued logic for blanks, so this stays small and local.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64),
    Var(String),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin(Box<Expr>, Op, Box<Expr>),
    Call(Func, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Abs,
    Min,
    Max,
    /// `blank(x)`: true when `x` is unknown.
    Blank,
}

/// An evaluated value; `None` means unknown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Num(Option<f64>),
    Bool(Option<bool>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Sym(&'static str),
}

fn lex(src: &str) -> Result<Vec<Tok>, ParseError> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let s = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            let n = src[s..i]
                .parse()
                .map_err(|_| ParseError(format!("số sai «{}»", &src[s..i])))?;
            out.push(Tok::Num(n));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            out.push(Tok::Ident(src[s..i].to_owned()));
        } else {
            let two = src.get(i..i + 2).unwrap_or("");
            let sym = match two {
                "==" => Some("=="),
                "!=" => Some("!="),
                "<=" => Some("<="),
                ">=" => Some(">="),
                _ => None,
            };
            if let Some(s) = sym {
                out.push(Tok::Sym(s));
                i += 2;
                continue;
            }
            let one = match c {
                b'+' => "+",
                b'-' => "-",
                b'*' => "*",
                b'/' => "/",
                b'<' => "<",
                b'>' => ">",
                b'(' => "(",
                b')' => ")",
                b',' => ",",
                _ => return Err(ParseError(format!("ký tự lạ «{}»", c as char))),
            };
            out.push(Tok::Sym(one));
            i += 1;
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn eat_sym(&mut self, s: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Sym(x)) if *x == s) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(x)) if x == w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut l = self.and()?;
        while self.eat_word("or") {
            l = Expr::Bin(Box::new(l), Op::Or, Box::new(self.and()?));
        }
        Ok(l)
    }
    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut l = self.not()?;
        while self.eat_word("and") {
            l = Expr::Bin(Box::new(l), Op::And, Box::new(self.not()?));
        }
        Ok(l)
    }
    fn not(&mut self) -> Result<Expr, ParseError> {
        if self.eat_word("not") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.cmp()
    }
    fn cmp(&mut self) -> Result<Expr, ParseError> {
        let l = self.sum()?;
        for (s, op) in [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
        ] {
            if self.eat_sym(s) {
                return Ok(Expr::Bin(Box::new(l), op, Box::new(self.sum()?)));
            }
        }
        Ok(l)
    }
    fn sum(&mut self) -> Result<Expr, ParseError> {
        let mut l = self.prod()?;
        loop {
            let op = if self.eat_sym("+") {
                Op::Add
            } else if self.eat_sym("-") {
                Op::Sub
            } else {
                return Ok(l);
            };
            l = Expr::Bin(Box::new(l), op, Box::new(self.prod()?));
        }
    }
    fn prod(&mut self) -> Result<Expr, ParseError> {
        let mut l = self.unary()?;
        loop {
            let op = if self.eat_sym("*") {
                Op::Mul
            } else if self.eat_sym("/") {
                Op::Div
            } else {
                return Ok(l);
            };
            l = Expr::Bin(Box::new(l), op, Box::new(self.unary()?));
        }
    }
    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.eat_sym("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.atom()
    }
    fn atom(&mut self) -> Result<Expr, ParseError> {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Ok(Expr::Num(n))
            }
            Some(Tok::Ident(name)) => {
                self.pos += 1;
                if self.eat_sym("(") {
                    let f = match name.as_str() {
                        "abs" => Func::Abs,
                        "min" => Func::Min,
                        "max" => Func::Max,
                        "blank" => Func::Blank,
                        _ => return Err(ParseError(format!("hàm lạ «{name}»"))),
                    };
                    let mut args = vec![self.or()?];
                    while self.eat_sym(",") {
                        args.push(self.or()?);
                    }
                    if !self.eat_sym(")") {
                        return Err(ParseError("thiếu «)»".into()));
                    }
                    let want = match f {
                        Func::Abs | Func::Blank => 1,
                        Func::Min | Func::Max => 2,
                    };
                    if args.len() != want {
                        return Err(ParseError(format!("hàm «{name}» cần {want} đối số")));
                    }
                    if f == Func::Blank && !matches!(args[0], Expr::Var(_)) {
                        return Err(ParseError("blank() nhận một biến".into()));
                    }
                    Ok(Expr::Call(f, args))
                } else if matches!(name.as_str(), "and" | "or" | "not") {
                    Err(ParseError(format!("thiếu biểu thức trước «{name}»")))
                } else {
                    Ok(Expr::Var(name))
                }
            }
            Some(Tok::Sym("(")) => {
                self.pos += 1;
                let e = self.or()?;
                if !self.eat_sym(")") {
                    return Err(ParseError("thiếu «)»".into()));
                }
                Ok(e)
            }
            Some(t) => Err(ParseError(format!("không hiểu «{t:?}»"))),
            None => Err(ParseError("biểu thức bị cụt".into())),
        }
    }
}

impl Expr {
    pub fn parse(src: &str) -> Result<Expr, ParseError> {
        let mut p = Parser {
            toks: lex(src)?,
            pos: 0,
        };
        let e = p.or()?;
        if p.pos != p.toks.len() {
            return Err(ParseError(format!("thừa phần sau vị trí {}", p.pos)));
        }
        Ok(e)
    }

    /// Every variable the expression reads, in order of appearance, without repeats.
    pub fn variables(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect(&self, out: &mut Vec<String>) {
        match self {
            Expr::Num(_) => {}
            Expr::Var(v) => {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
            Expr::Neg(e) | Expr::Not(e) => e.collect(out),
            Expr::Bin(a, _, b) => {
                a.collect(out);
                b.collect(out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.collect(out)),
        }
    }

    /// Evaluates with `env` giving each variable's value (`None`: unknown).
    pub fn eval(&self, env: &dyn Fn(&str) -> Option<f64>) -> Value {
        match self {
            Expr::Num(n) => Value::Num(Some(*n)),
            Expr::Var(v) => Value::Num(env(v)),
            Expr::Neg(e) => Value::Num(e.eval(env).num().map(|x| -x)),
            Expr::Not(e) => Value::Bool(e.eval(env).truth().map(|b| !b)),
            Expr::Call(f, args) => match f {
                Func::Blank => Value::Bool(Some(args[0].eval(env).num().is_none())),
                Func::Abs => Value::Num(args[0].eval(env).num().map(f64::abs)),
                Func::Min | Func::Max => {
                    let (a, b) = (args[0].eval(env).num(), args[1].eval(env).num());
                    Value::Num(match (a, b, f) {
                        (Some(a), Some(b), Func::Min) => Some(a.min(b)),
                        (Some(a), Some(b), _) => Some(a.max(b)),
                        _ => None,
                    })
                }
            },
            Expr::Bin(a, op, b) => {
                let (x, y) = (a.eval(env), b.eval(env));
                match op {
                    Op::And => Value::Bool(match (x.truth(), y.truth()) {
                        (Some(false), _) | (_, Some(false)) => Some(false),
                        (Some(true), Some(true)) => Some(true),
                        _ => None,
                    }),
                    Op::Or => Value::Bool(match (x.truth(), y.truth()) {
                        (Some(true), _) | (_, Some(true)) => Some(true),
                        (Some(false), Some(false)) => Some(false),
                        _ => None,
                    }),
                    _ => {
                        let (Some(x), Some(y)) = (x.num(), y.num()) else {
                            return match op {
                                Op::Add | Op::Sub | Op::Mul | Op::Div => Value::Num(None),
                                _ => Value::Bool(None),
                            };
                        };
                        const EPS: f64 = 1e-9;
                        match op {
                            Op::Add => Value::Num(Some(x + y)),
                            Op::Sub => Value::Num(Some(x - y)),
                            Op::Mul => Value::Num(Some(x * y)),
                            Op::Div => Value::Num((y != 0.0).then(|| x / y)),
                            Op::Eq => Value::Bool(Some((x - y).abs() < EPS)),
                            Op::Ne => Value::Bool(Some((x - y).abs() >= EPS)),
                            Op::Lt => Value::Bool(Some(x < y - EPS)),
                            Op::Le => Value::Bool(Some(x <= y + EPS)),
                            Op::Gt => Value::Bool(Some(x > y + EPS)),
                            Op::Ge => Value::Bool(Some(x >= y - EPS)),
                            Op::And | Op::Or => unreachable!("handled above"),
                        }
                    }
                }
            }
        }
    }
}

impl Value {
    pub fn num(self) -> Option<f64> {
        match self {
            Value::Num(n) => n,
            Value::Bool(b) => b.map(|b| if b { 1.0 } else { 0.0 }),
        }
    }
    pub fn truth(self) -> Option<bool> {
        match self {
            Value::Bool(b) => b,
            Value::Num(n) => n.map(|x| x != 0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, f64)]) -> impl Fn(&str) -> Option<f64> {
        let v: Vec<(String, f64)> = vars.iter().map(|(k, x)| (k.to_string(), *x)).collect();
        move |name| v.iter().find(|(k, _)| k == name).map(|(_, x)| *x)
    }

    #[test]
    fn arithmetic_follows_precedence() {
        let e = Expr::parse("1 + 2 * 3 - 4 / 2").unwrap();
        assert_eq!(e.eval(&env(&[])).num(), Some(5.0));
        let e = Expr::parse("-(1 + 2) * 3").unwrap();
        assert_eq!(e.eval(&env(&[])).num(), Some(-9.0));
    }

    #[test]
    fn comparisons_and_logic_use_known_values() {
        let e = Expr::parse("B1.a + B1.b == B1.c and not B1.a > 5").unwrap();
        assert_eq!(
            e.eval(&env(&[("B1.a", 2.0), ("B1.b", 3.0), ("B1.c", 5.0)])).truth(),
            Some(true)
        );
        assert_eq!(
            e.eval(&env(&[("B1.a", 2.0), ("B1.b", 3.0), ("B1.c", 6.0)])).truth(),
            Some(false)
        );
    }

    #[test]
    fn unknown_values_leave_the_rule_undecided() {
        let e = Expr::parse("x + y == z").unwrap();
        assert_eq!(e.eval(&env(&[("x", 1.0), ("z", 1.0)])).truth(), None);
        let e = Expr::parse("x > 5 and y > 5").unwrap();
        assert_eq!(e.eval(&env(&[("x", 1.0)])).truth(), Some(false));
        let e = Expr::parse("blank(y) and x == 1").unwrap();
        assert_eq!(e.eval(&env(&[("x", 1.0)])).truth(), Some(true));
    }

    #[test]
    fn division_by_zero_is_unknown() {
        let e = Expr::parse("x / y > 1").unwrap();
        assert_eq!(e.eval(&env(&[("x", 1.0), ("y", 0.0)])).truth(), None);
    }

    #[test]
    fn functions_work() {
        let e = Expr::parse("abs(x - y) <= 0.25 * max(y, 1) and min(x, y) == y").unwrap();
        assert_eq!(e.eval(&env(&[("x", 11.0), ("y", 10.0)])).truth(), Some(true));
    }

    #[test]
    fn bad_expressions_are_rejected_with_a_reason() {
        for bad in ["1 +", "(1 + 2", "foo(1)", "a $ b", "abs(1, 2)", "blank(1)", "1 2"] {
            assert!(Expr::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn variables_are_listed_once() {
        let e = Expr::parse("B1.a + B1.a * B2.b > 0 or blank(B1.c)").unwrap();
        assert_eq!(e.variables(), vec!["B1.a", "B2.b", "B1.c"]);
    }
}
