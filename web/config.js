// The stage's settings, served beside the page as config.json: where the API and the user pool
// are, and the largest file a note may carry. Nothing else in the page is stage-specific.

const REQUIRED = ["apiUrl", "region", "userPoolId", "userPoolClientId", "cognitoEndpoint"];

export class ConfigError extends Error {}

export async function loadConfig(url = "config.json") {
  let response;
  try {
    response = await fetch(url, { cache: "no-cache", headers: { Accept: "application/json" } });
  } catch {
    throw new ConfigError("The page could not load its settings (config.json): the web server did not answer.");
  }
  if (!response.ok) {
    throw new ConfigError(`The page could not load its settings (config.json): the web server answered ${response.status}.`);
  }
  let config;
  try {
    config = await response.json();
  } catch {
    throw new ConfigError("The page's settings (config.json) are not valid JSON.");
  }
  const missing = REQUIRED.filter((name) => typeof config[name] !== "string" || !config[name]);
  if (missing.length) {
    throw new ConfigError(`The page's settings (config.json) lack ${missing.join(", ")}.`);
  }
  return Object.freeze({
    apiUrl: config.apiUrl.replace(/\/+$/, ""),
    region: config.region,
    userPoolId: config.userPoolId,
    userPoolClientId: config.userPoolClientId,
    cognitoEndpoint: config.cognitoEndpoint.endsWith("/") ? config.cognitoEndpoint : `${config.cognitoEndpoint}/`,
    maxAttachmentBytes: Number(config.maxAttachmentBytes) > 0 ? Number(config.maxAttachmentBytes) : 10 * 1024 * 1024,
    local: config.local === true,
  });
}
