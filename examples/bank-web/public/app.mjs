// The Demo Bank's page: asks its backend for an SDK token, runs the Web SDK, hands the result
// back to its backend, and shows the verdict. It never sees an API key.
import { AuthmatechSdkError, AuthmatechWebSDK } from './sdk.mjs';

const input = document.querySelector('#mobile');
const result = document.querySelector('#result');
const simSwap = document.querySelector('#sim-swap');

function show(state, text) {
  result.dataset.state = state;
  result.textContent = text;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.message ?? `The bank answered ${response.status}.`);
  return answer;
}

function describeSimSwap(check) {
  if (check.unavailable === 'IDENTIFIER_NOT_FOUND')
    return 'The operator has no SIM-swap data for this number.';
  if (check.swapped === undefined) return 'SIM swap check unavailable right now.';
  return check.swapped
    ? `Warning: this number's SIM changed within the last ${check.maxAgeHours} hours.`
    : `No SIM change within the last ${check.maxAgeHours} hours.`;
}

async function verify(variant) {
  show('working', 'Checking your number with your mobile operator…');
  simSwap.textContent = '';
  try {
    const start = await post('/api/start', { mobileNumber: input.value.trim(), variant });
    const sdk = new AuthmatechWebSDK({
      backendBaseURL: start.backendBaseURL,
      clientId: start.clientId,
      sdkToken: start.sdkToken,
    });
    let proof = {};
    if (variant === 'web') {
      // The proof stays on the gateway; the backend verifies the transaction.
      await sdk.initAuthmatechCheck({
        transactionId: start.transactionId,
        checkUrl: start.checkUrl,
      });
    } else {
      const { authmatechCode, sdkSessionId } = await sdk.startHeaderEnrichment({
        heUrl: start.heUrl,
      });
      proof = { authmatechCode, sdkSessionId };
    }
    const outcome = await post('/api/verify', { flowId: start.flowId, ...proof });
    if (!outcome.verified) {
      show('refused', `Not verified (${outcome.reason}). We will send you a code by SMS instead.`);
      return;
    }
    show('verified', `verified: ${outcome.maskedNumber}`);
    simSwap.textContent = describeSimSwap(outcome.simSwap);
  } catch (error) {
    if (error instanceof AuthmatechSdkError && error.code === 'sdk_no_he_result') {
      show(
        'fallback',
        'We could not confirm your number automatically (are you on Wi-Fi?). We will send you a code by SMS instead.',
      );
    } else if (error instanceof AuthmatechSdkError) {
      show(
        'error',
        `Silent verification is unavailable right now (${error.code}). We will send you a code by SMS instead.`,
      );
    } else {
      show('error', error instanceof Error ? error.message : 'Something went wrong.');
    }
  }
}

document.querySelector('#verify').addEventListener('click', () => void verify('sdk'));
document.querySelector('#verify-web').addEventListener('click', () => void verify('web'));
