// The stage's settings, served beside the page as config.json: where the API and the user pool
// are, and the rules the page checks before it asks (the pool's password policy, the largest
// file a note may carry, the form of a file's name and media type). The server writes them from
// its own rules: none is copied here, and settings without them are said to be broken.

const REQUIRED = ["apiUrl", "region", "userPoolId", "userPoolClientId", "cognitoEndpoint"];
const POLICY_SWITCHES = ["requireUppercase", "requireLowercase", "requireNumbers", "requireSymbols"];

export class ConfigError extends Error {}

const isCount = (value) => Number.isSafeInteger(value) && value > 0;

function compiles(pattern) {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** The names of the rules that config.json lacks, and of those it has in an unusable form. */
function checkRules(config) {
  const lacking = [];
  const unusable = [];
  const check = (name, value, usable) => {
    if (value === undefined || value === null) lacking.push(name);
    else if (!usable(value)) unusable.push(name);
  };
  check("maxAttachmentBytes", config.maxAttachmentBytes, isCount);
  check("fileNameMaxChars", config.fileNameMaxChars, isCount);
  check("mediaTypePattern", config.mediaTypePattern, (value) => typeof value === "string" && value !== "" && compiles(value));
  const policy = config.passwordPolicy;
  if (policy === undefined || policy === null) {
    lacking.push("passwordPolicy");
  } else if (typeof policy !== "object" || Array.isArray(policy)) {
    unusable.push("passwordPolicy");
  } else {
    check("passwordPolicy.minimumLength", policy.minimumLength, isCount);
    for (const name of POLICY_SWITCHES) {
      check(`passwordPolicy.${name}`, policy[name], (value) => typeof value === "boolean");
    }
  }
  return { lacking, unusable };
}

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
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new ConfigError("The page's settings (config.json) are not a JSON object.");
  }
  const missing = REQUIRED.filter((name) => typeof config[name] !== "string" || !config[name]);
  if (missing.length) {
    throw new ConfigError(`The page's settings (config.json) lack ${missing.join(", ")}.`);
  }
  const { lacking, unusable } = checkRules(config);
  if (lacking.length || unusable.length) {
    const wrong = [
      lacking.length ? `lack ${lacking.join(", ")}` : "",
      unusable.length ? `have ${unusable.length === 1 ? "an unusable" : "unusable"} ${unusable.join(", ")}` : "",
    ];
    throw new ConfigError(`The page's settings (config.json) ${wrong.filter(Boolean).join(" and ")}.`);
  }
  const policy = config.passwordPolicy;
  return Object.freeze({
    apiUrl: config.apiUrl.replace(/\/+$/, ""),
    region: config.region,
    userPoolId: config.userPoolId,
    userPoolClientId: config.userPoolClientId,
    cognitoEndpoint: config.cognitoEndpoint.endsWith("/") ? config.cognitoEndpoint : `${config.cognitoEndpoint}/`,
    maxAttachmentBytes: config.maxAttachmentBytes,
    passwordPolicy: Object.freeze({
      minimumLength: policy.minimumLength,
      requireUppercase: policy.requireUppercase,
      requireLowercase: policy.requireLowercase,
      requireNumbers: policy.requireNumbers,
      requireSymbols: policy.requireSymbols,
    }),
    fileNameMaxChars: config.fileNameMaxChars,
    mediaTypePattern: config.mediaTypePattern,
    local: config.local === true,
  });
}

// --- the password policy, in words ---------------------------------------------------------

/**
 * The rules of `policy` (config.passwordPolicy), in the order the pool checks them:
 * [{ words, brief, met(password) }]. `words` is what the sign-up form lists; `brief`, what
 * a sentence about the rules says.
 */
export function passwordRules(policy) {
  const rules = [];
  const length = policy.minimumLength;
  if (length > 0) {
    const characters = length === 1 ? "character" : "characters";
    rules.push({
      words: `At least ${length} ${characters}`,
      brief: `at least ${length} ${characters}`,
      met: (password) => [...password].length >= length,
    });
  }
  if (policy.requireUppercase) {
    rules.push({ words: "An upper-case letter", brief: "an upper-case letter", met: (password) => /[A-Z]/.test(password) });
  }
  if (policy.requireLowercase) {
    rules.push({ words: "A lower-case letter", brief: "a lower-case letter", met: (password) => /[a-z]/.test(password) });
  }
  if (policy.requireNumbers) {
    rules.push({ words: "A digit", brief: "a digit", met: (password) => /[0-9]/.test(password) });
  }
  if (policy.requireSymbols) {
    rules.push({ words: "A symbol, such as ! ? # - or _", brief: "a symbol", met: (password) => /[^A-Za-z0-9]/.test(password) });
  }
  return rules;
}

/** The policy in one sentence, such as: "at least 12 characters, with an upper-case letter,
 * a lower-case letter, a digit and a symbol". */
export function passwordRulesSentence(policy) {
  const briefs = passwordRules(policy).map((rule) => rule.brief);
  const [first, ...others] = policy.minimumLength > 0 ? briefs : ["", ...briefs];
  const list = others.length > 1 ? `${others.slice(0, -1).join(", ")} and ${others[others.length - 1]}` : others.join("");
  if (!first) return list;
  return list ? `${first}, with ${list}` : first;
}
