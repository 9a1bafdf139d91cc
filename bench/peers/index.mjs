// Every contender, in table order: authcode first, then the raw baseline, then the peers.
import authcode from './authcode.mjs'
import raw from './raw.mjs'
import oauth4webapi from './oauth4webapi.mjs'
import openidClient from './openid-client.mjs'
import arctic from './arctic.mjs'
import auth0AuthJs from './auth0-auth-js.mjs'
import auth0 from './auth0.mjs'
import simpleOauth2 from './simple-oauth2.mjs'
import jose from './jose.mjs'

export const PEERS = [authcode, raw, oauth4webapi, openidClient, arctic, auth0AuthJs, auth0, simpleOauth2, jose]
