// Signing up and in: the actions of the sign-in, sign-up, confirmation and password-reset forms
// (screens.js draws them), spoken to the user pool's JSON API (cognito.js), and in scoped mode
// the way to the pool's own sign-in page (oauth.js). Once the pool has signed a person in, app.js
// takes the session from there. Part of a first visit: loaded with app.js.

import { clearMessages, missingRules, say, warn } from "./screens.js";
import { saveSession } from "./session.js";
import { busy, editForm, state, update } from "./state.js";

// app.js's wiring: { cognito(), oauth(), signedIn(session, focus), loadNotesScreen() }
let app = null;

/** The actions of the signed-out screens, reaching the pool through `wiring`. */
export function signInActions(wiring) {
  app = wiring;
  return actions;
}

function need(values, names) {
  const labels = { email: "your email", password: "a password", code: "the confirmation code" };
  const missing = names.filter((name) => !String(values[name] || "").trim());
  if (!missing.length) return true;
  warn(`Enter ${missing.map((name) => labels[name]).join(" and ")}.`);
  update({ focus: missing[0] });
  return false;
}

function passwordFollowsRules(password) {
  const missing = missingRules(state.config.passwordPolicy, password);
  if (!missing.length) return true;
  warn(`The password needs ${missing.join(", ")}.`);
  update({ focus: "password" });
  return false;
}

const actions = {
  editForm(name, value) {
    editForm(name, value);
    // A password typed to sign in: the signed-in screens start loading now, not at the click.
    if (name === "password" && value && state.screen === "signin") app.loadNotesScreen().catch(() => {});
  },

  go(screen) {
    clearMessages();
    editForm("shown", false); // a password shown on one screen is hidden on the next
    update({ screen, focus: "screen-heading" });
  },

  /** Scoped mode: off to the pool's sign-in page, where signing up happens too. */
  signInAtPool() {
    return busy("signin", () => app.oauth().signIn(location.hash));
  },

  signIn(values) {
    const email = String(values.email || "").trim();
    editForm("email", email);
    if (!need({ ...values, email }, ["email", "password"])) return;
    return busy("signin", async () => {
      say("Signing in…");
      app.loadNotesScreen().catch(() => {}); // meanwhile; a failure is said once signed in
      try {
        const tokens = await app.cognito().signIn(email, values.password);
        const newSession = saveSession(state.config.userPoolClientId, tokens, email);
        clearMessages(); // the header says who is signed in
        await app.signedIn(newSession, "notes-heading");
      } catch (error) {
        if (error.type === "UserNotConfirmedException") {
          update({ screen: "confirm", focus: "code" });
        } else {
          update({ focus: "password" });
        }
        warn(error.message);
      }
    });
  },

  signUp(values) {
    const email = String(values.email || "").trim();
    editForm("email", email);
    if (!need({ ...values, email }, ["email", "password"]) || !passwordFollowsRules(values.password)) return;
    return busy("signup", async () => {
      say("Creating your account…");
      try {
        await app.cognito().signUp(email, values.password);
        update({ screen: "confirm", form: { email, password: "", code: "" }, focus: "code" });
        say(state.config.local ? "Account created: now confirm it." : `Account created. Enter the confirmation code sent to ${email}.`);
      } catch (error) {
        warn(error.message);
        update({ focus: error.type === "UsernameExistsException" ? "email" : "password" });
      }
    });
  },

  confirm(values) {
    const email = String(values.email || "").trim();
    editForm("email", email);
    if (!need({ ...values, email }, ["email", "code"])) return;
    return busy("confirm", async () => {
      say("Confirming…");
      try {
        await app.cognito().confirmSignUp(email, String(values.code).trim());
        update({ screen: "signin", form: { email, password: "", code: "" }, focus: "password" });
        say("Your account is confirmed: sign in.");
      } catch (error) {
        warn(error.message);
        update({ focus: "code" });
      }
    });
  },

  forgot(values) {
    const email = String(values.email || "").trim();
    editForm("email", email);
    if (!need({ email }, ["email"])) return;
    return busy("forgot", async () => {
      say("Sending a code…");
      try {
        await app.cognito().forgotPassword(email);
        update({ screen: "reset", form: { email, password: "", code: "" }, focus: "code" });
        say(state.config.local ? "Now choose a new password." : `If ${email} has an account, a code is on its way to it.`);
      } catch (error) {
        warn(error.message);
      }
    });
  },

  resetPassword(values) {
    const email = String(values.email || "").trim();
    editForm("email", email);
    if (!need({ ...values, email }, ["email", "code", "password"]) || !passwordFollowsRules(values.password)) return;
    return busy("reset", async () => {
      say("Setting the new password…");
      try {
        await app.cognito().confirmForgotPassword(email, String(values.code).trim(), values.password);
        update({ screen: "signin", form: { email, password: "", code: "" }, focus: "password" });
        say("Your password is changed: sign in with it.");
      } catch (error) {
        warn(error.message);
      }
    });
  },
};
