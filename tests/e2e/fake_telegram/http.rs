//! The fake's HTTP side: routing, long polling, request parameters, API errors.

use super::*;

// ----- HTTP ------------------------------------------------------------------

pub(super) async fn handle_request(AxumState(shared): AxumState<Arc<Shared>>, req: Request) -> Response {
    let path = percent_decode(req.uri().path());
    let expected = format!("bot{}", FakeTelegram::TOKEN);
    // File downloads: /file/bot<token>/documents/<file id>.
    if let Some(rest) = path.strip_prefix(&format!("/file/{expected}/documents/")) {
        let found = shared.lock().files.get(rest).cloned();
        shared.activity();
        return match found {
            Some(bytes) => (axum::http::StatusCode::OK, bytes).into_response(),
            None => ApiErr::not_found().into_response(),
        };
    }
    let method = match path.strip_prefix('/').and_then(|p| p.split_once('/')) {
        Some((token, method)) if token == expected && !method.is_empty() && !method.contains('/') => {
            canonical_method(method)
        }
        _ => {
            shared.lock().rejected.push((path.clone(), "Not Found".to_owned()));
            shared.activity();
            return ApiErr::not_found().into_response();
        }
    };
    let params = match read_params(req).await {
        Ok(p) => p,
        Err(e) => {
            let err = ApiErr::bad_request(&format!("can't read the request: {e}"));
            {
                let mut st = shared.lock();
                st.calls.push((method.clone(), json!({})));
                st.rejected.push((method, err.description.clone()));
            }
            shared.activity();
            return err.into_response();
        }
    };
    let reply = if method.eq_ignore_ascii_case("getUpdates") {
        get_updates(&shared, &method, &params).await
    } else {
        let mut slow = None;
        let reply = {
            let mut st = shared.lock();
            st.calls.push((method.clone(), params.to_value()));
            let failure = st.take_failure(&method, params.i64("chat_id"));
            match failure {
                Some(Failure::DroppedConnection) => None,
                Some(Failure::SlowAnswer { after }) => {
                    slow = Some(after);
                    Some(st.handle(&method, &params))
                }
                Some(failure) => Some(Err(ApiErr::from(failure))),
                None => Some(st.handle_recorded(&method, &params)),
            }
        };
        if let Some(after) = slow {
            shared.activity();
            tokio::time::sleep(after).await;
        }
        match reply {
            None => {
                shared.activity();
                return dropped_connection();
            }
            Some(r) => r,
        }
    };
    if reply.is_ok() {
        *shared.lock().ok_counts.entry(method).or_default() += 1;
    }
    shared.activity();
    match reply {
        Ok(result) => JsonBody(json!({"ok": true, "result": result})).into_response(),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn get_updates(shared: &Shared, method: &str, p: &Params) -> Result<Value, ApiErr> {
    let offset = p.i64("offset").unwrap_or(0);
    let limit = usize::try_from(p.i64("limit").unwrap_or(100).clamp(1, 100)).unwrap_or(100);
    let timeout = Duration::from_secs(u64::try_from(p.i64("timeout").unwrap_or(0)).unwrap_or(0)).min(LONG_POLL_CAP);
    {
        let mut st = shared.lock();
        st.calls.push((method.to_owned(), p.to_value()));
        if let Some(failure) = st.take_failure(method, None) {
            return Err(ApiErr::from(failure));
        }
        if let Some(allowed) = p.json("allowed_updates").as_ref().and_then(Value::as_array) {
            let allowed: Vec<String> = allowed.iter().filter_map(Value::as_str).map(str::to_owned).collect();
            st.allowed_updates = (!allowed.is_empty()).then_some(allowed);
        }
        st.confirm(offset);
    }
    shared.activity();
    let deadline = Instant::now() + timeout;
    let mut rx = shared.updates_tx.subscribe();
    loop {
        let batch = shared.lock().take_batch(limit);
        if !batch.is_empty() {
            return Ok(Value::Array(batch));
        }
        match timeout_at(deadline, rx.changed()).await {
            Ok(Ok(())) => {}
            _ => return Ok(Value::Array(shared.lock().take_batch(limit))),
        }
    }
}

/// A request's parameters: text fields as JSON, plus uploaded files by the
/// parameter that refers to them.
pub(super) struct Params {
    pub(super) fields: Map<String, Value>,
    pub(super) files: HashMap<String, (String, Vec<u8>)>,
}

impl Params {
    pub(super) fn str(&self, key: &str) -> Option<String> {
        match self.fields.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            v => Some(v.to_string()),
        }
    }

    pub(super) fn i64(&self, key: &str) -> Option<i64> {
        match self.fields.get(key)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A JSON field, also when it came as a JSON string (multipart, forms).
    pub(super) fn json(&self, key: &str) -> Option<Value> {
        match self.fields.get(key)? {
            Value::String(s) => serde_json::from_str(s).ok(),
            Value::Null => None,
            v => Some(v.clone()),
        }
    }

    pub(super) fn to_value(&self) -> Value {
        Value::Object(self.fields.clone())
    }
}

pub(super) async fn read_params(req: Request) -> Result<Params, String> {
    let mut fields = Map::new();
    let mut uploads: HashMap<String, (String, Vec<u8>)> = HashMap::new();
    if let Some(query) = req.uri().query() {
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            fields.insert(k.to_string(), text_field(&k, &v));
        }
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(req, &()).await.map_err(|e| e.body_text())?;
        while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
            let name = field.name().unwrap_or("").to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let data = field.bytes().await.map_err(|e| e.body_text())?;
            match file_name {
                Some(file_name) => {
                    uploads.insert(name, (file_name, data.to_vec()));
                }
                None => {
                    let text = String::from_utf8_lossy(&data);
                    fields.insert(name.clone(), text_field(&name, &text));
                }
            }
        }
    } else {
        let body = to_bytes(req.into_body(), MAX_BODY).await.map_err(|e| e.to_string())?;
        if body.iter().all(u8::is_ascii_whitespace) {
            // getMe and friends may come without a body.
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            for (k, v) in url::form_urlencoded::parse(&body) {
                fields.insert(k.to_string(), text_field(&k, &v));
            }
        } else {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(map)) => fields.extend(map),
                Ok(_) => return Err("the body is not a JSON object".to_owned()),
                Err(e) => return Err(format!("the body is not JSON: {e}")),
            }
        }
    }
    // Files are sent as parts named by a random id that a text field refers
    // to as "attach://<id>" (teloxide), or as a part named like the parameter.
    let mut files = HashMap::new();
    let keys: Vec<String> = fields.keys().cloned().collect();
    for key in keys {
        let attached = fields
            .get(&key)
            .and_then(Value::as_str)
            .and_then(|v| v.strip_prefix("attach://"))
            .and_then(|id| uploads.remove(id));
        if let Some(file) = attached {
            files.insert(key, file);
        }
    }
    files.extend(uploads);
    for (key, (name, bytes)) in &files {
        fields.insert(format!("{key}_name"), json!(name));
        fields.insert(format!("{key}_size"), json!(bytes.len()));
    }
    Ok(Params { fields, files })
}

/// A form field as JSON: JSON objects/arrays, numbers and booleans are parsed,
/// except in free-text fields.
pub(super) fn text_field(name: &str, value: &str) -> Value {
    pub(super) const FREE_TEXT: &[&str] = &["text", "caption", "parse_mode", "callback_query_id", "data"];
    if !FREE_TEXT.contains(&name) {
        let t = value.trim();
        if t.starts_with('{') || t.starts_with('[') {
            if let Ok(v) = serde_json::from_str::<Value>(t) {
                return v;
            }
        } else if let Ok(n) = t.parse::<i64>() {
            return json!(n);
        } else if t == "true" || t == "false" {
            return json!(t == "true");
        }
    }
    json!(value)
}

pub(super) struct ApiErr {
    pub(super) code: u16,
    pub(super) description: String,
    pub(super) retry_after: Option<u32>,
    pub(super) http_status: u16,
}

impl ApiErr {
    pub(super) fn new(code: u16, description: &str) -> Self {
        ApiErr {
            code,
            description: description.to_owned(),
            retry_after: None,
            http_status: code,
        }
    }

    pub(super) fn bad_request(what: &str) -> Self {
        Self::new(400, &format!("Bad Request: {what}"))
    }

    pub(super) fn not_found() -> Self {
        Self::new(404, "Not Found")
    }

    pub(super) fn blocked() -> Self {
        Self::new(403, "Forbidden: bot was blocked by the user")
    }

    pub(super) fn not_modified() -> Self {
        Self::bad_request(
            "message is not modified: specified new message content and reply markup are \
             exactly the same as a current content and reply markup of the message",
        )
    }
}

impl From<Failure> for ApiErr {
    fn from(f: Failure) -> Self {
        match f {
            Failure::TooManyRequests { retry_after } => ApiErr {
                retry_after: Some(retry_after),
                ..ApiErr::new(429, &format!("Too Many Requests: retry after {retry_after}"))
            },
            Failure::Forbidden => ApiErr::blocked(),
            Failure::ServerError => ApiErr {
                http_status: 200,
                ..ApiErr::new(500, "Internal Server Error")
            },
            Failure::ServerErrorHttp500 => ApiErr::new(500, "Internal Server Error"),
            Failure::Api { code, description } => ApiErr::new(code, &description),
            Failure::SlowAnswer { .. } | Failure::DroppedConnection => {
                unreachable!("handled before an answer is made")
            }
        }
    }
}

impl IntoResponse for ApiErr {
    fn into_response(self) -> Response {
        let mut body = json!({"ok": false, "error_code": self.code, "description": self.description});
        if let Some(retry_after) = self.retry_after {
            body["parameters"] = json!({"retry_after": retry_after});
        }
        let status = StatusCode::from_u16(self.http_status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, JsonBody(body)).into_response()
    }
}

/// An answer whose body fails after the headers: the client sees the connection drop.
pub(super) fn dropped_connection() -> Response {
    let body = axum::body::Body::from_stream(futures_util::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "dropped"))
    }));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "100")
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// A JSON body (status set by the caller).
pub(super) struct JsonBody(Value);

impl IntoResponse for JsonBody {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "application/json")], self.0.to_string()).into_response()
    }
}
