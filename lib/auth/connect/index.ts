export { startMailConnect, CONNECT_CALLBACK_PATH, type StartMailConnectInput, type Redirect } from './start';
export { finishMailConnect, clearConnectCookie, type ConnectOutcome, type CallbackParams } from './finish';
export { CONNECT_COOKIE } from './pending';
