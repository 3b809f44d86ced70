/// The body a webhook sink sends.
package enum WebhookFormat: String, CaseIterable, Sendable {
    /// The CloudEvent itself, `application/cloudevents+json`, signed per Standard Webhooks.
    case cloudevents
    case slack
    case feishu
    case dingtalk
    case wecom
}
