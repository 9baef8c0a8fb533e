//! The polling schedule: a fixed interval, paused while the tab is hidden, backoff with jitter on errors.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::JsFuture;

/// Exponential backoff with "equal jitter": after `n` failures the delay is
/// between half and all of `base · 2ⁿ`, capped at `max`.
#[derive(Clone, Debug)]
pub struct Backoff {
    failures: u32,
    base_ms: f64,
    max_ms: f64,
}

impl Backoff {
    pub fn new(base_ms: f64, max_ms: f64) -> Self {
        Self {
            failures: 0,
            base_ms,
            max_ms,
        }
    }

    /// The delay before the next try after one more failure; `random` in [0, 1).
    pub fn fail(&mut self, random: f64) -> f64 {
        let ceiling = (self.base_ms * 2f64.powi(self.failures.min(16) as i32)).min(self.max_ms);
        self.failures = self.failures.saturating_add(1);
        ceiling / 2.0 + ceiling / 2.0 * random.clamp(0.0, 1.0)
    }

    pub fn succeed(&mut self) {
        self.failures = 0;
    }
}

/// Resolves a pending [`Wake::sleep`] early.
#[derive(Clone, Default)]
pub struct Wake(Rc<RefCell<Option<js_sys::Function>>>);

impl Wake {
    pub fn wake(&self) {
        if let Some(resolve) = self.0.borrow_mut().take() {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    }

    /// Sleeps `ms` milliseconds (forever when `None`) or until woken.
    pub async fn sleep(&self, ms: Option<f64>) {
        let slot = Rc::clone(&self.0);
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            if let (Some(ms), Some(w)) = (ms, web_sys::window()) {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                    &resolve,
                    ms.clamp(0.0, f64::from(i32::MAX)) as i32,
                );
            }
            *slot.borrow_mut() = Some(resolve);
        });
        let _ = JsFuture::from(promise).await;
    }
}

fn hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

/// Calls `tick` now and then every `interval_ms` while the page is visible;
/// after a failed tick (`Some(false)`), waits with backoff instead.
/// Becoming visible again, or `wake`, triggers an immediate tick. Runs
/// until a tick says the widget is gone (`None`: unmounted), then stops
/// listening to the page.
pub fn run<F, Fut>(interval_ms: f64, wake: Wake, tick: F)
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = Option<bool>> + 'static,
{
    let doc = web_sys::window().and_then(|w| w.document());
    let w = wake.clone();
    let on_visibility = Closure::<dyn FnMut()>::new(move || {
        if !hidden() {
            w.wake();
        }
    });
    if let Some(doc) = &doc {
        let _ = doc.add_event_listener_with_callback(
            "visibilitychange",
            on_visibility.as_ref().unchecked_ref(),
        );
    }
    leptos::task::spawn_local(async move {
        let mut backoff = Backoff::new(interval_ms.min(2000.0), 5.0 * 60_000.0);
        loop {
            if hidden() {
                wake.sleep(None).await;
            }
            let delay = match tick().await {
                None => break,
                Some(true) => {
                    backoff.succeed();
                    interval_ms
                }
                Some(false) => backoff.fail(js_sys::Math::random()),
            };
            wake.sleep(Some(delay)).await;
        }
        if let Some(doc) = &doc {
            let _ = doc.remove_event_listener_with_callback(
                "visibilitychange",
                on_visibility.as_ref().unchecked_ref(),
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::Backoff;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let mut b = Backoff::new(1000.0, 8000.0);
        assert_eq!(b.fail(0.0), 500.0);
        assert_eq!(b.fail(0.999_999).round(), 2000.0);
        assert_eq!(b.fail(0.5), 3000.0);
        assert_eq!(b.fail(1.0), 8000.0);
        assert_eq!(b.fail(1.0), 8000.0, "capped");
        b.succeed();
        assert_eq!(b.fail(0.0), 500.0);
    }
}
