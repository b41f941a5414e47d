// The stage's settings, served beside the page as config.json: where the API and the user pool
// are, and the rules the page checks before it asks (the pool's password policy, the largest
// file, the form of a file's name and media type, the longest title). The server writes them from
// its own rules: none is copied here, and settings without them are said to be broken.
// `mode`: "id" (the default; the pool's JSON API, ID tokens) or "scoped" (the pool's sign-in
// page, as `oauth` says, which oauth.js checks as it starts; access tokens).

const REQUIRED = ["apiUrl", "region", "userPoolId", "userPoolClientId", "cognitoEndpoint"];
const count = (v) => Number.isSafeInteger(v) && v > 0;
const flag = (v) => typeof v === "boolean";
const SWITCHES = ["requireUppercase", "requireLowercase", "requireNumbers", "requireSymbols"];
const RULES = {
  maxAttachmentBytes: count,
  titleMaxChars: count,
  fileNameMaxChars: count,
  mediaTypePattern: (v) => typeof v === "string" && v !== "" && compiles(v),
  fileNameForbiddenPattern: (v) => typeof v === "string" && v !== "" && compiles(v, "u"),
  passwordPolicy: (v) => typeof v === "object" && !Array.isArray(v) && count(v.minimumLength) && SWITCHES.every((s) => flag(v[s])),
};

export class ConfigError extends Error {}

function compiles(pattern, flags = "") {
  try {
    return Boolean(new RegExp(pattern, flags));
  } catch {
    return false;
  }
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
  const names = Object.keys(RULES);
  const lacking = [...missing, ...names.filter((name) => config[name] === undefined || config[name] === null)];
  const unusable = names.filter((name) => !lacking.includes(name) && !RULES[name](config[name]));
  if (lacking.length || unusable.length) {
    const wrong = [lacking.length && `lack ${lacking.join(", ")}`, unusable.length && `have unusable ${unusable.join(", ")}`];
    throw new ConfigError(`The page's settings (config.json) ${wrong.filter(Boolean).join(" and ")}.`);
  }
  const mode = config.mode ?? "id";
  if (mode !== "id" && mode !== "scoped") {
    throw new ConfigError(`The page's settings (config.json) have an unknown mode: ${JSON.stringify(mode)}.`);
  }
  return Object.freeze({
    ...config,
    mode,
    apiUrl: config.apiUrl.replace(/\/+$/, ""),
    cognitoEndpoint: config.cognitoEndpoint.endsWith("/") ? config.cognitoEndpoint : `${config.cognitoEndpoint}/`,
    passwordPolicy: Object.freeze({ ...config.passwordPolicy }),
    local: config.local === true,
  });
}

// The password policy in words, in the order the pool checks it: `words` is what the sign-up
// form lists, `brief` what a sentence about the rules says.
const SWITCHED = {
  requireUppercase: ["An upper-case letter", /[A-Z]/],
  requireLowercase: ["A lower-case letter", /[a-z]/],
  requireNumbers: ["A digit", /[0-9]/],
  // What Cognito counts as a symbol: the space and the other printable ASCII that is no letter or digit.
  requireSymbols: ["A symbol, such as ! ? # - or _", /[ -\/:-@[-`{-~]/, "a symbol"],
};

/** The rules of `policy` (config.passwordPolicy): [{ words, brief, met(password) }]. */
export function passwordRules(policy) {
  const length = policy.minimumLength;
  const characters = `${length} ${length === 1 ? "character" : "characters"}`;
  const rules = [{ words: `At least ${characters}`, brief: `at least ${characters}`, met: (p) => [...p].length >= length }];
  for (const [name, [words, pattern, brief]] of Object.entries(SWITCHED)) {
    if (policy[name]) rules.push({ words, brief: brief || words.toLowerCase(), met: (p) => pattern.test(p) });
  }
  return rules;
}

/** The policy in one sentence: "at least 12 characters, with an upper-case letter, a lower-case
 * letter, a digit and a symbol". */
export function passwordRulesSentence(policy) {
  const [first, ...others] = passwordRules(policy).map((rule) => rule.brief);
  const list = others.length > 1 ? `${others.slice(0, -1).join(", ")} and ${others.at(-1)}` : others.join("");
  return list ? `${first}, with ${list}` : first;
}
