// The user pool's JSON API (Amazon Cognito), spoken with fetch: sign up, confirm, sign in with
// the password flow, renew with the refresh token, revoke, reset a forgotten password, and
// change it with the access token. Every failure is an AuthError whose message is meant for
// people (`said`: the pool's own words, if any).

import { passwordRulesSentence } from "./config.js";

const TIMEOUT_MS = 15000;

const WORDS = {
  NotAuthorizedException: "Incorrect email or password.",
  UserNotFoundException: "Incorrect email or password.",
  UserNotConfirmedException: "This account is not confirmed yet: enter the confirmation code to confirm it.",
  UsernameExistsException: "An account with this email already exists: sign in, or confirm it if you have not yet.",
  CodeMismatchException: "That confirmation code is not right: check it and try again.",
  ExpiredCodeException: "That code has expired: ask for a new one.",
  LimitExceededException: "Too many attempts: wait a while, then try again.",
  TooManyRequestsException: "Too many attempts: wait a while, then try again.",
  TooManyFailedAttemptsException: "Too many attempts: wait a while, then try again.",
  PasswordResetRequiredException: "A new password is needed: choose “Forgot your password?”.",
};

export class AuthError extends Error {
  constructor(message, { type = "", status = 0, unreachable = false, said = "" } = {}) {
    super(message);
    this.name = "AuthError";
    this.type = type;
    this.said = said;
    this.status = status;
    this.unreachable = unreachable;
  }
}

export function cognitoClient(config) {
  const clientId = config.userPoolClientId;
  const wordsFor = {
    ...WORDS,
    InvalidPasswordException: `The password does not follow the rules: ${passwordRulesSentence(config.passwordPolicy)}.`,
  };

  async function call(action, body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let response;
    try {
      response = await fetch(config.cognitoEndpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
        },
        body: JSON.stringify(body),
        signal: controller.signal,
        credentials: "omit",
      });
    } catch (error) {
      if (error && error.name === "AbortError") {
        throw new AuthError(`The sign-in service did not answer within ${TIMEOUT_MS / 1000} seconds: try again.`, {
          unreachable: true,
        });
      }
      const where = navigator.onLine === false ? "You seem to be offline: " : "";
      throw new AuthError(`${where}the sign-in service (${config.cognitoEndpoint}) cannot be reached. Check the connection and try again.`, {
        unreachable: true,
      });
    } finally {
      clearTimeout(timer);
    }
    const text = await response.text();
    let answer = {};
    try {
      answer = text ? JSON.parse(text) : {};
    } catch {
      answer = null;
    }
    if (response.ok && answer) {
      return answer;
    }
    const type = String((answer && (answer.__type || answer.code)) || "").split("#").pop();
    const said = answer && (answer.message || answer.Message);
    const words =
      wordsFor[type] ||
      (said ? `The sign-in service refused: ${said}` : `The sign-in service failed (${response.status}): try again later.`);
    throw new AuthError(words, { type: type || "UnknownError", status: response.status, said: said || "" });
  }

  function tokens(answer, previous = {}) {
    const result = answer.AuthenticationResult;
    if (!result || !result.IdToken) {
      // A challenge (a new password, MFA) this page does not handle.
      const challenge = answer.ChallengeName ? ` (${answer.ChallengeName})` : "";
      throw new AuthError(`The sign-in service asked for a step this page cannot do${challenge}.`, { type: "Challenge" });
    }
    return {
      idToken: result.IdToken,
      accessToken: result.AccessToken || "",
      // Renewing answers no new refresh token: the one we had stays valid.
      refreshToken: result.RefreshToken || previous.refreshToken || "",
    };
  }

  return {
    signUp(email, password) {
      return call("SignUp", {
        ClientId: clientId,
        Username: email,
        Password: password,
        UserAttributes: [{ Name: "email", Value: email }],
      });
    },
    confirmSignUp(email, code) {
      return call("ConfirmSignUp", { ClientId: clientId, Username: email, ConfirmationCode: code });
    },
    async signIn(email, password) {
      const answer = await call("InitiateAuth", {
        ClientId: clientId,
        AuthFlow: "USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: email, PASSWORD: password },
      });
      return tokens(answer);
    },
    async refresh(refreshToken) {
      const answer = await call("InitiateAuth", {
        ClientId: clientId,
        AuthFlow: "REFRESH_TOKEN_AUTH",
        AuthParameters: { REFRESH_TOKEN: refreshToken },
      });
      return tokens(answer, { refreshToken });
    },
    revoke(refreshToken) {
      return call("RevokeToken", { ClientId: clientId, Token: refreshToken });
    },
    forgotPassword(email) {
      return call("ForgotPassword", { ClientId: clientId, Username: email });
    },
    confirmForgotPassword(email, code, password) {
      return call("ConfirmForgotPassword", {
        ClientId: clientId,
        Username: email,
        ConfirmationCode: code,
        Password: password,
      });
    },
    changePassword(accessToken, previous, proposed) {
      return call("ChangePassword", { AccessToken: accessToken, PreviousPassword: previous, ProposedPassword: proposed });
    },
  };
}
