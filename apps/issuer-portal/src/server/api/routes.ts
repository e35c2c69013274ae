// Every API route, in the order the OpenAPI document lists them.

import type { RouteSpec } from './route.js';
import { listAuditEvents } from './routes/audit.js';
import { authMethods, changePassword, currentSession, login, logout } from './routes/auth.js';
import {
  archivePlan,
  archiveProduct,
  createPlan,
  createProduct,
  getPlan,
  listPlans,
  listProducts,
  reissueLicense,
  restorePlan,
  restoreProduct,
  updatePlan,
  updateProduct,
} from './routes/catalog.js';
import { inspectChallenge, issueLicense } from './routes/challenges.js';
import { listCustomers, renameCustomer } from './routes/customers.js';
import { exportAudit, exportLicenses } from './routes/exports.js';
import {
  closeFork,
  exportAuditChain,
  getAuditChain,
  getPlanForkPolicy,
  setLicenseForkPolicy,
  setPlanForkPolicy,
} from './routes/forks.js';
import {
  activateKey,
  exportJwks,
  listKeys,
  listKeysets,
  retireKey,
  revokeKey,
  rotateKey,
} from './routes/keys.js';
import {
  getLicense,
  listLicenses,
  renewLicense,
  resumeLicense,
  revokeLicense,
  suspendLicense,
} from './routes/licenses.js';
import { health } from './routes/meta.js';
import { approveRequest, getRequest, listRequests, rejectRequest } from './routes/requests.js';
import { createToken, listTokens, revokeToken } from './routes/tokens.js';
import {
  confirmTwoFactor,
  disableTwoFactor,
  enrolTwoFactor,
  regenerateRecoveryCodes,
  resetTwoFactor,
  setTwoFactorPolicy,
  twoFactorStatus,
} from './routes/two-factor.js';
import { getDashboard, getLicenseUsage } from './routes/usage.js';
import { addUser, listUsers, updateUser } from './routes/users.js';
import {
  createWebhook,
  getWebhookSecret,
  listWebhookDeliveries,
  listWebhookEventTypes,
  listWebhooks,
  resendWebhookDelivery,
  updateWebhook,
} from './routes/webhooks.js';

export const API_ROUTES: readonly RouteSpec[] = [
  login,
  authMethods,
  currentSession,
  changePassword,
  logout,
  twoFactorStatus,
  enrolTwoFactor,
  confirmTwoFactor,
  regenerateRecoveryCodes,
  disableTwoFactor,
  getDashboard,
  inspectChallenge,
  issueLicense,
  listLicenses,
  exportLicenses,
  getLicense,
  getLicenseUsage,
  revokeLicense,
  suspendLicense,
  resumeLicense,
  renewLicense,
  reissueLicense,
  setLicenseForkPolicy,
  closeFork,
  listProducts,
  createProduct,
  updateProduct,
  archiveProduct,
  restoreProduct,
  listPlans,
  getPlan,
  createPlan,
  updatePlan,
  archivePlan,
  restorePlan,
  getPlanForkPolicy,
  setPlanForkPolicy,
  listRequests,
  getRequest,
  approveRequest,
  rejectRequest,
  listCustomers,
  renameCustomer,
  listKeys,
  exportJwks,
  rotateKey,
  activateKey,
  retireKey,
  revokeKey,
  listKeysets,
  listUsers,
  addUser,
  updateUser,
  setTwoFactorPolicy,
  resetTwoFactor,
  listTokens,
  createToken,
  revokeToken,
  listWebhookEventTypes,
  listWebhooks,
  createWebhook,
  getWebhookSecret,
  updateWebhook,
  listWebhookDeliveries,
  resendWebhookDelivery,
  listAuditEvents,
  exportAudit,
  getAuditChain,
  exportAuditChain,
  health,
];
