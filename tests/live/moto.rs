//! A moto server (AWS API emulator) on a free loopback port, for one test.
//!
//! The binary comes from `$PARITY_MOTO_SERVER`, else `.venv/bin/moto_server`
//! in the repository (scripts/test installs it). Without it the test fails:
//! live collectors are never left untested in silence.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::Credentials;
use parity::sources::aws::{AwsSettings, StaticCredentials};

pub const REGION: &str = "eu-west-1";

pub struct Moto {
    child: Child,
    pub url: String,
    port: u16,
}

fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("PARITY_MOTO_SERVER") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server")
}

impl Moto {
    pub fn start() -> Moto {
        let bin = binary();
        assert!(
            bin.is_file(),
            "moto server not found: run scripts/test (it installs moto into .venv); looked for {}",
            bin.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if moto.get("/moto-api/data.json").is_some() {
                return moto;
            }
            assert!(
                Instant::now() < deadline,
                "moto server at {} did not answer within 60s",
                moto.url
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn request(&self, raw: &str) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        s.write_all(raw.as_bytes()).ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        out.starts_with("HTTP/1").then_some(out)
    }

    fn get(&self, path: &str) -> Option<String> {
        self.request(&format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        ))
    }

    /// From now on every request must be signed by an IAM user's keys and
    /// allowed by its policies (moto's IAM access control).
    pub fn enforce_iam(&self) {
        let body = "0";
        let reply = self
            .request(&format!(
                "POST /moto-api/reset-auth HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ))
            .expect("moto answers reset-auth");
        assert!(reply.contains("200"), "reset-auth failed: {reply}");
    }

    /// An SDK config for creating test resources (not guarded: tests write).
    pub async fn sdk(&self) -> SdkConfig {
        self.sdk_with("testing", "testing").await
    }

    pub async fn sdk_with(&self, key: &str, secret: &str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new(key, secret, None, None, "test"))
            .load()
            .await
    }

    /// An IAM user with one inline policy (a JSON document); its access
    /// key id and secret. With [`Moto::enforce_iam`], requests signed with
    /// them may do what the policy allows and nothing else.
    pub async fn user_with_policy(&self, user: &str, policy: &str) -> (String, String) {
        let iam = aws_sdk_iam::Client::new(&self.sdk().await);
        iam.create_user()
            .user_name(user)
            .send()
            .await
            .expect("user");
        iam.put_user_policy()
            .user_name(user)
            .policy_name("test-policy")
            .policy_document(policy)
            .send()
            .await
            .expect("user policy");
        let k = iam
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .expect("access key");
        let k = k.access_key().expect("key");
        (
            k.access_key_id().to_string(),
            k.secret_access_key().to_string(),
        )
    }

    /// Collector settings for one environment scoped by its tag and name.
    pub fn settings(&self, env: &str) -> AwsSettings {
        AwsSettings {
            regions: vec![REGION.to_string()],
            endpoint_url: Some(self.url.clone()),
            tags: [("Environment".to_string(), env.to_string())].into(),
            iam_name_tokens: vec![env.to_string()],
            credentials: Some(StaticCredentials {
                access_key_id: "testing".into(),
                secret_access_key: "testing".into(),
                session_token: None,
            }),
            ..AwsSettings::default()
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}
